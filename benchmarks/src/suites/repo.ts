// Repository workloads: full verification of 10k- and 100k-record CARs, 1,000 single-record
// commits, and export of a 100k-record repository.
import { hash } from 'node:crypto'
import { fromUint8Array as atcuteCar } from '@atcute/car'
import { decode as atcuteDecode, encode as atcuteEncode } from '@atcute/cbor'
import { fromCidLink } from '@atcute/cid'
import { verifySigWithDidKey } from '@atcute/crypto'
import { fromUint8Array as atcuteRepo } from '@atcute/repo'
import * as atCrypto from '@atproto/crypto'
import * as at from '@atproto/repo'
import { readCar } from '@rsky/car'
import { Secp256k1Keypair } from '@rsky/crypto'
import { exportRepoCarBytes, MemoryRepoStorage, Repo, readRepoRecords, verifyRepoCar } from '@rsky/repo'
import type { BenchCase, BenchSuite } from '../harness.ts'
import { DID, generateRepoCar, KEY_HEX } from '../workloads/car.ts'
import { loadWorkload } from '../workloads.ts'

const key = Secp256k1Keypair.import(KEY_HEX)

function repoCarOf(records: number): Promise<Uint8Array> {
  return loadWorkload(`repo-${records / 1000}k.car`, () => generateRepoCar(records))
}

function sha256Matches(bytes: Uint8Array, digest: Uint8Array): boolean {
  const d = hash('sha256', bytes, 'buffer')
  return d.equals(digest)
}

/** The same checks as verifyRepoCar, composed by hand from @atcute/* and node:crypto. */
async function atcuteVerify(car: Uint8Array): Promise<number> {
  const reader = atcuteCar(car)
  const rootDigest = Buffer.from(fromCidLink(reader.roots[0]!).digest.contents)
  let commitBytes: Uint8Array | undefined
  for (const entry of reader) {
    if (!sha256Matches(entry.bytes, entry.cid.digest.contents)) throw new Error('hash mismatch')
    if (commitBytes === undefined && rootDigest.equals(entry.cid.digest.contents)) commitBytes = entry.bytes
  }
  const { sig, ...unsigned } = atcuteDecode(commitBytes!) as { sig: { buf: Uint8Array } } & Record<
    string,
    unknown
  >
  const ok = await verifySigWithDidKey(
    key.did(),
    sig.buf as Uint8Array<ArrayBuffer>,
    atcuteEncode(unsigned) as Uint8Array<ArrayBuffer>,
  )
  if (!ok) throw new Error('bad signature')
  let n = 0
  for (const entry of atcuteRepo(car)) {
    if (entry.record === undefined) throw new Error('no record')
    n++
  }
  return n
}

function verifyCase(records: number, mb: string, memory: boolean): BenchCase {
  // Inputs load inside each implementation's factory, so a child process measuring peak RSS
  // holds only what that implementation needs.
  return {
    name: `full verification of a ${records / 1000}k-record repo CAR (${mb} MB)`,
    unit: 'record',
    perCall: records,
    memory,
    note: 'every block hash, commit signature (secp256k1), tree walk and every record decoded. @atcute/repo alone checks no hash and no signature, so its row composes @atcute/car + node:crypto + @atcute/crypto + @atcute/repo into the same checks',
    impls: {
      '@rsky/repo verifyRepoCar': async () => {
        const car = await repoCarOf(records)
        return async () => {
          const r = await verifyRepoCar(car, { did: DID, key: key.did() })
          if (r.records !== records) throw new Error(`records ${r.records}`)
        }
      },
      '@atproto/repo verifyRepoCar': async () => {
        const car = await repoCarOf(records)
        return async () => {
          await at.verifyRepoCar(car, DID, key.did())
        }
      },
      '@atcute/* composed': async () => {
        const car = await repoCarOf(records)
        return async () => {
          if ((await atcuteVerify(car)) !== records) throw new Error('count')
        }
      },
    },
  }
}

function listCase(records: number, mb: string): BenchCase {
  return {
    name: `list every record of a ${records / 1000}k-record repo CAR (${mb} MB)`,
    unit: 'record',
    perCall: records,
    memory: true,
    note: 'each record decoded and handed to the caller in key order. Ours and @atproto/repo also check every block hash and the signature; @atcute/repo fromUint8Array checks neither',
    impls: {
      '@rsky/repo readRepoRecords': async () => {
        const car = await repoCarOf(records)
        return async () => {
          let n = 0
          for await (const e of readRepoRecords(car, { did: DID, key: key.did() })) if (e.record) n++
          if (n !== records) throw new Error(`records ${n}`)
        }
      },
      '@atproto/repo readCarWithRoot + Repo.load + walkRecords': async () => {
        const car = await repoCarOf(records)
        return async () => {
          const { root, blocks } = await at.readCarWithRoot(car)
          const repo = await at.Repo.load(new at.MemoryBlockstore(blocks), root)
          let n = 0
          for await (const e of repo.walkRecords()) if (e.record) n++
          if (n !== records) throw new Error(`records ${n}`)
        }
      },
      '@atcute/repo fromUint8Array (unchecked)': async () => {
        const car = await repoCarOf(records)
        return async () => {
          let n = 0
          for (const e of atcuteRepo(car)) if (e.record) n++
          if (n !== records) throw new Error(`records ${n}`)
        }
      },
    },
  }
}

const suite: BenchSuite = {
  name: 'repo',
  description:
    'Repository verification, commits and export against @atproto/repo (and a hand-composed @atcute stack for verification).',
  async cases() {
    const mb10k = ((await repoCarOf(10_000)).length / 1e6).toFixed(1)
    const mb100k = ((await repoCarOf(100_000)).length / 1e6).toFixed(1)

    const commits = 1000
    const records = Array.from({ length: commits }, (_, i) => ({
      $type: 'app.bsky.feed.post',
      text: `commit number ${i} with some text in it`,
      createdAt: '2026-11-24T12:00:00.000Z',
    }))
    const rkey = (i: number) => `post${i}`

    return [
      verifyCase(10_000, mb10k, false),
      verifyCase(100_000, mb100k, true),
      listCase(100_000, mb100k),
      {
        name: `${commits} single-record commits on an empty repo`,
        unit: 'commit',
        perCall: commits,
        impls: {
          '@rsky/repo applyWrites': () => async () => {
            let repo = await Repo.create({ storage: new MemoryRepoStorage(), did: DID, keypair: key })
            for (let i = 0; i < commits; i++) {
              repo = await repo.applyWrites(
                [{ action: 'create', collection: 'app.bsky.feed.post', rkey: rkey(i), record: records[i]! }],
                key,
              )
            }
          },
          '@atproto/repo applyWrites': async () => {
            const refKey = await atCrypto.Secp256k1Keypair.import(KEY_HEX)
            return async () => {
              let repo = await at.Repo.create(new at.MemoryBlockstore(), DID, refKey)
              for (let i = 0; i < commits; i++) {
                repo = await repo.applyWrites(
                  [
                    {
                      action: at.WriteOpAction.Create,
                      collection: 'app.bsky.feed.post',
                      rkey: rkey(i),
                      record: records[i]!,
                    },
                  ],
                  refKey,
                )
              }
            }
          },
        },
      },
      {
        name: 'export a 100k-record repo as a CAR',
        unit: 'record',
        memory: true,
        perCall: 100_000,
        impls: {
          // Each side exports from its own memory store holding the same 100k-record repository.
          '@rsky/repo exportRepoCarBytes': async () => {
            const car = await repoCarOf(100_000)
            const { blocks, roots } = readCar(car)
            const storage = new MemoryRepoStorage(blocks, roots[0])
            return async () => {
              const bytes = await exportRepoCarBytes(storage)
              if (bytes.length !== car.length) throw new Error('length')
            }
          },
          '@atproto/repo getFullRepo': async () => {
            const car = await repoCarOf(100_000)
            const refCar = await at.readCarWithRoot(car)
            const storage = new at.MemoryBlockstore()
            storage.putMany(refCar.blocks)
            return async () => {
              let n = 0
              for await (const chunk of at.getFullRepo(storage, refCar.root)) n += chunk.length
              if (n !== car.length) throw new Error('length')
            }
          },
        },
      },
    ]
  },
}

export default suite
