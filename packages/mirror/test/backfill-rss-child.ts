// Child process of backfill-rss.test.ts: backfills one repository CAR file, streamed from disk,
// into a fresh SQLite store and prints one JSON line: records written, RSS before, peak RSS.
import { createReadStream } from 'node:fs'
import { Secp256k1Keypair } from '@rsky/crypto'
import { openVerifiedRepo, SqliteMirrorStore } from '../src/index.ts'

const [carPath, dbPath, did, keyHex, memoryBytes, cacheKiB] = process.argv.slice(2) as string[]
const key = Secp256k1Keypair.import(keyHex as string)
const store = SqliteMirrorStore.open(dbPath as string, { cacheSizeKiB: Number(cacheKiB) })
store.addRepos([did as string])
// the baseline: everything loaded and warmed up, nothing of the repository read yet
globalThis.gc?.()
const before = process.memoryUsage.rss()
const repo = await openVerifiedRepo({
  did: did as string,
  car: createReadStream(carPath as string, { highWaterMark: 256 * 1024 }),
  keys: { resolveAtprotoKey: () => key.did() },
  memoryBytes: Number(memoryBytes),
})
let records = 0
const counted = {
  *[Symbol.iterator]() {
    for (const r of repo.records) {
      records++
      yield r
    }
  },
}
store.completeBackfill({ did: repo.did, rev: repo.rev, data: repo.data, records: counted })
const blocks = repo.blocks
const spooledBytes = repo.spooledBytes
repo.close()
const held = store.status().records
store.close()
const peak = process.resourceUsage().maxRSS * 1024
console.log(JSON.stringify({ records, held, blocks, spooledBytes, before, peak }))
