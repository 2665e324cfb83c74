// Builds only the packages whose build inputs changed since their dist/ was written: a package is
// rebuilt when it has no dist/, or when a file of its src/, its package.json, its tsup.config.ts or
// the shared tsup.base.ts / tsconfig.base.json is newer than the oldest file in its dist/ (as make
// would decide). `pnpm build` still builds everything; `npm start` and `npm test` call this.
//   node scripts/build-changed.mjs [--quiet]
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const quiet = process.argv.includes('--quiet')

/** Newest (or oldest) modification time of the files under `path`, or null when there are none. */
function mtimes(path, pick, skip = () => false) {
  if (!existsSync(path)) return null
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let out = null
  for (const e of readdirSync(path, { withFileTypes: true })) {
    if (skip(e.name)) continue
    const t = mtimes(join(path, e.name), pick, skip)
    if (t !== null) out = out === null ? t : pick(out, t)
  }
  return out
}

const shared = ['tsup.base.ts', 'tsconfig.base.json'].map((f) => mtimes(join(root, f), Math.max) ?? 0)
const stale = []
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const pkg = join(root, 'packages', dir)
  if (!existsSync(join(pkg, 'package.json'))) continue
  const { name, scripts } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'))
  if (!scripts?.build) continue
  const built = mtimes(join(pkg, 'dist'), Math.min)
  const inputs = Math.max(
    ...shared,
    mtimes(join(pkg, 'src'), Math.max, (n) => n.endsWith('.test.ts')) ?? 0,
    mtimes(join(pkg, 'package.json'), Math.max) ?? 0,
    mtimes(join(pkg, 'tsup.config.ts'), Math.max) ?? 0,
  )
  if (built === null || inputs > built) stale.push(name)
}

if (stale.length === 0) {
  if (!quiet) console.log('build: every package is up to date')
  process.exit(0)
}
const started = Date.now()
const r = spawnSync('pnpm', [...stale.flatMap((n) => ['--filter', n]), 'run', 'build'], {
  cwd: root,
  stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
})
if (r.status !== 0) {
  // Quiet runs still show why: the build's own error lines.
  if (quiet)
    console.error(
      `${r.stdout ?? ''}${r.stderr ?? ''}`
        .split('\n')
        .filter((l) => /error|failed/i.test(l))
        .slice(0, 20)
        .join('\n'),
    )
  console.error(`build: failed for one of ${stale.join(', ')}`)
  process.exit(r.status ?? 1)
}
console.log(`build: rebuilt ${stale.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
