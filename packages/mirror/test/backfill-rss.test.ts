// A repository much larger than the memory budget backfills in bounded memory: a child process
// streams a generated CAR file of 400,000 records (about 95 MB) into SQLite with 4 MiB of blocks
// in memory and a 4 MiB page cache, and its peak RSS stays under a bound computed from that
// configuration (budget + cache + the per-block index + a fixed allowance for the runtime), well
// below the CAR's own size. No timing is asserted.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Secp256k1Keypair } from '@rsky/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeBigRepoCar } from './big-repo.ts'

const RECORDS = 400_000
const MEMORY = 4 * 1024 * 1024
const CACHE_KIB = 4096
/** Index bytes per block (SpooledBlocks: location, length, digest words, table at half load). */
const INDEX_PER_BLOCK = 40
/** The runtime's own growth during a large run: V8 young generation, statement buffers, I/O. */
const RUNTIME_ALLOWANCE = 48 * 1024 * 1024
const KEY_HEX = '5a1d0e9c8b7a69584736251403f2e1d0c0b0a09080706050403020100f0e0d0c'
const DID = 'did:plc:rssbound0000000000000000'

let dir: string
let carPath: string
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rsky-mirror-rss-'))
  carPath = join(dir, 'big.car')
  await writeBigRepoCar({
    path: carPath,
    did: DID,
    keypair: Secp256k1Keypair.import(KEY_HEX),
    records: RECORDS,
  })
}, 300_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('backfill memory', () => {
  it('a repository far larger than the budget backfills under a bound set by configuration', () => {
    const child = fileURLToPath(new URL('./backfill-rss-child.ts', import.meta.url))
    const r = spawnSync(
      process.execPath,
      [
        '--conditions=source',
        '--no-warnings',
        '--expose-gc',
        child,
        carPath,
        join(dir, 'm.db'),
        DID,
        KEY_HEX,
        String(MEMORY),
        String(CACHE_KIB),
      ],
      { encoding: 'utf8', timeout: 600_000 },
    )
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as {
      records: number
      held: number
      blocks: number
      spooledBytes: number
      before: number
      peak: number
    }
    const carBytes = statSync(carPath).size
    expect(out.records).toBe(RECORDS)
    expect(out.held).toBe(RECORDS)
    expect(out.spooledBytes).toBeGreaterThan(carBytes - MEMORY - 1024 * 1024)
    const bound = MEMORY + CACHE_KIB * 1024 + out.blocks * INDEX_PER_BLOCK + RUNTIME_ALLOWANCE
    const added = out.peak - out.before
    // the bound is a fraction of the repository: the test proves something
    expect(bound).toBeLessThan(carBytes)
    expect(added).toBeLessThan(bound)
  }, 600_000)
})
