// Test-only (not a build entry): the shipped sample repositories the CLI tests run against.
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The monorepo root. */
export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

/** One entry of test-vectors/repos/samples.json: a repo CAR, its DID, signing key and record count. */
export interface SampleRepo {
  file: string
  did: string
  key: string
  records: number
}

const sampleRepos = JSON.parse(
  readFileSync(join(repoRoot, 'test-vectors/repos/samples.json'), 'utf8'),
) as SampleRepo[]

/** The sample repo signed with a secp256k1 key. */
export const k256Sample: SampleRepo = sampleRepos[0]!
/** The sample repo signed with a P-256 key. */
export const p256Sample: SampleRepo = sampleRepos[1]!

/** The path of a sample repo's CAR file. */
export function sampleCarPath(s: { file: string }): string {
  return join(repoRoot, 'test-vectors/repos', s.file)
}
