// Repository CARs for the mirror backfill cases: signed repositories built bottom-up by the mirror
// tests' generator (packages/mirror/test/big-repo.ts: keys in order, each tree node encoded once),
// each under its own DID (a backfill checks the commit's DID), cached in benchmarks/workloads/.
// Ten repositories of 100,000 records and one of 1,000,000 (about 235 MB).
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Secp256k1Keypair } from '@rsky/crypto'
import { writeBigRepoCar } from '../../../packages/mirror/test/big-repo.ts'
import { ensureWorkload } from '../workloads.ts'

export const MIRROR_KEY_HEX = 'a3f1c2d4e5b60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00'
const keypair = Secp256k1Keypair.import(MIRROR_KEY_HEX)

/** The did:key every mirror workload repository is signed with. */
export const mirrorKeyDid: string = keypair.did()

async function generate(did: string, records: number): Promise<Uint8Array> {
  const path = join(tmpdir(), `rsky-bench-mirror-${process.pid}-${records}.car`)
  try {
    await writeBigRepoCar({ path, did, keypair, records })
    const buf = readFileSync(path)
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
  } finally {
    rmSync(path, { force: true })
  }
}

/** Path and DID of repository `i` of the ten 100,000-record ones. */
export async function largeRepo(i: number): Promise<{ did: string; path: string }> {
  const did = `did:plc:mirrorlarge${String(i).padStart(13, '0')}`
  return { did, path: await ensureWorkload(`mirror-100k-${i}.car`, () => generate(did, 100_000)) }
}

/** Path and DID of the 1,000,000-record repository. */
export async function millionRepo(): Promise<{ did: string; path: string }> {
  const did = 'did:plc:mirrormillion00000000000'
  return { did, path: await ensureWorkload('mirror-1m.car', () => generate(did, 1_000_000)) }
}
