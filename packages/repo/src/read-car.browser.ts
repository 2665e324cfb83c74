// readRepoRecords' reading of the CAR in browsers (through the package's "imports" map, #read-car;
// other runtimes get read-car.ts): every sha256 from WebCrypto, so that a browser app reading
// records ships no sha256 of its own. The blocks are hashed in batches by scanCarAsync (@rsky/car)
// into the Map index of bytes-index.browser.ts; the tree is walked as walkRecordTree walks it, but
// asynchronously, each node's key heights hashed together before its layer is checked. A stream is
// read into memory first (up to maxTotalBytes), as the stream index would copy it. The same checks
// in the same order, the same errors and the same records before an error as read-car.ts:
// read-records.browser.test.ts runs read-records.test.ts with it.
import { type CarReadOptions, type CarSource, scanCarAsync } from '@rsky/car'
import type { Cid } from '@rsky/dag-cbor'
import {
  checkNodeLayer,
  InvalidMstNodeError,
  type NodeEntries,
  type NodePlace,
  parseNodeEntries,
} from '@rsky/mst'
import { badTreeError } from './as-repo-error.ts'
import { mapIndex } from './bytes-index.browser.ts'
import type { BytesIndex } from './bytes-index.ts'
import { MissingBlockError, RepoError } from './errors.ts'
import type { ReadRepoRecordsOptions, RepoRecordEntry } from './read-records-core.ts'
import { commitOf, recordAt } from './records-of.ts'
import { mayHold, nodeLimitsOf } from './tree-walk.ts'

const utf8 = /* @__PURE__ */ new TextEncoder()

/** The MST layer of `key`: leading zero bits of its sha256 (WebCrypto), halved. */
async function heightOf(key: string): Promise<number> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(key)))
  let i = 0
  while (i < 31 && d[i] === 0) i++
  return (i * 8 + Math.clz32(d[i] as number) - 24) >>> 1
}

/** The bytes of `car`: itself, or its stream's chunks joined (reading stops past `max` bytes). */
async function bytesOf(car: Uint8Array | CarSource, opts: CarReadOptions | undefined): Promise<Uint8Array> {
  if (car instanceof Uint8Array) return car
  const max = opts?.maxTotalBytes ?? Number.POSITIVE_INFINITY
  const chunks: Uint8Array[] = []
  let n = 0
  // Not every browser makes ReadableStream async-iterable, so it is read through a reader.
  const reader =
    typeof ReadableStream !== 'undefined' && car instanceof ReadableStream ? car.getReader() : null
  const source = reader
    ? { [Symbol.asyncIterator]: () => ({ next: () => reader.read() }) }
    : (car as AsyncIterable<Uint8Array> | Iterable<Uint8Array>)
  try {
    for await (const chunk of source as AsyncIterable<Uint8Array>) {
      if (!(chunk instanceof Uint8Array)) throw new TypeError('source chunks must be Uint8Array')
      chunks.push(chunk)
      n += chunk.length
      if (n > max) break // enough for the scan to meet the limit where it lies
    }
  } finally {
    reader?.cancel().catch(() => {})
  }
  const out = new Uint8Array(n)
  n = 0
  for (const chunk of chunks) {
    out.set(chunk, n)
    n += chunk.length
  }
  return out
}

/** The node `cid`, checked at `place` (its key heights from WebCrypto). */
async function nodeAt(index: BytesIndex, cid: Cid, place: NodePlace): Promise<NodeEntries> {
  const n = index.indexOf(cid)
  if (n < 0) throw new MissingBlockError(cid, 'MST node')
  try {
    const node = parseNodeEntries(index.bytesAt(n), cid, place)
    checkNodeLayer(node, await Promise.all(node.keys.map(heightOf)), cid, place)
    return node
  } catch (err) {
    throw err instanceof InvalidMstNodeError ? badTreeError(err) : err
  }
}

/** The records of a repository CAR, every check of readRepoRecords (its options already checked). */
export async function* readCarRecords(
  car: Uint8Array | CarSource,
  opts: ReadRepoRecordsOptions,
): AsyncGenerator<RepoRecordEntry, void, undefined> {
  const bytes = await bytesOf(car, opts.car)
  const blocks = mapIndex(bytes)
  const index = blocks.done((await scanCarAsync(bytes, blocks.add, opts.car)).roots)
  const limits = nodeLimitsOf(opts.maxNodeEntries)
  const prefix = opts.collection === undefined ? null : `${opts.collection}/`
  // walkRecordTree's walk (see tree-walk.ts): per open node, its key bounds and its next slot
  // (slot i is its subtree i, then its key i), with whether subtree i was visited already.
  const nodes = [await nodeAt(index, commitOf(index, opts), { limits })]
  const los: (string | null)[] = [null]
  const his: (string | null)[] = [null]
  const slots = [0]
  const descended = [false]
  while (nodes.length > 0) {
    const top = nodes.length - 1
    const node = nodes[top] as NodeEntries
    const i = slots[top] as number
    const keys = node.keys
    if (!descended[top]) {
      descended[top] = true
      const child = i === 0 ? node.left : (node.rights[i - 1] as Cid | null)
      if (child !== null) {
        const lo = i === 0 ? (los[top] as string | null) : (keys[i - 1] as string)
        const hi = i < keys.length ? (keys[i] as string) : (his[top] as string | null)
        if (prefix === null || mayHold(lo, hi, prefix)) {
          nodes.push(await nodeAt(index, child, { layer: node.layer - 1, lo, hi, limits }))
          los.push(lo)
          his.push(hi)
          slots.push(0)
          descended.push(false)
          continue
        }
      }
    }
    if (i >= keys.length) {
      nodes.pop()
      los.pop()
      his.pop()
      slots.pop()
      descended.pop()
      continue
    }
    slots[top] = i + 1
    descended[top] = false
    const key = keys[i] as string
    if (prefix !== null && !key.startsWith(prefix)) {
      if (key > prefix) return
      continue
    }
    const slash = key.indexOf('/')
    if (slash <= 0)
      throw new RepoError('BAD_TREE', `invalid record tree: key without a collection; key=${key}`)
    const cid = node.values[i] as Cid
    yield {
      collection: key.slice(0, slash),
      rkey: key.slice(slash + 1),
      cid,
      record: recordAt(index, key, cid),
    }
  }
}
