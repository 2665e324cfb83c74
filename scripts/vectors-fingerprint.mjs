// Prints a fingerprint of each shared input folder (file count and a sha256 over every file's path
// and contents, in path order), so a copy can be compared with the one the README names.
//   node scripts/vectors-fingerprint.mjs [folder...]   (default: ../shared/interop/* and ../shared/lexicons)
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const shared = join(root, '..', 'shared')
const folders = process.argv.slice(2).length
  ? process.argv.slice(2).map((f) => resolve(f))
  : [
      join(shared, 'interop', 'atproto-interop-tests'),
      join(shared, 'interop', 'mst-test-suite'),
      join(shared, 'lexicons'),
    ]

function files(dir) {
  const out = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === '.git') continue
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...files(p))
    else out.push(p)
  }
  return out
}

for (const folder of folders) {
  if (!existsSync(folder)) {
    console.log(`${folder}: missing`)
    continue
  }
  const list = files(folder)
    .map((f) => relative(folder, f).split('\\').join('/'))
    .sort()
  const hash = createHash('sha256')
  for (const f of list)
    hash.update(
      `${f}\0${createHash('sha256')
        .update(readFileSync(join(folder, f)))
        .digest('hex')}\n`,
    )
  console.log(`${relative(root, folder)}: ${list.length} files, sha256 ${hash.digest('hex').slice(0, 16)}`)
}
