// pnpm --filter @rsky/test-vectors generate
// Rewrites test-vectors/repos/*.car and samples.json from the fixed seeds in sample-repos.ts.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildSampleRepo, SAMPLE_REPOS, sampleKeypair } from './sample-repos.ts'

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'repos')
mkdirSync(dir, { recursive: true })
const manifest = []
for (const spec of SAMPLE_REPOS) {
  const car = await buildSampleRepo(spec)
  writeFileSync(join(dir, spec.file), car)
  manifest.push({
    file: spec.file,
    did: spec.did,
    key: sampleKeypair(spec).did(),
    curve: spec.curve,
    records: spec.records,
  })
  console.log(`${spec.file}: ${car.length} bytes, ${spec.records} records, ${spec.curve}`)
}
writeFileSync(join(dir, 'samples.json'), `${JSON.stringify(manifest, null, 2)}\n`)
