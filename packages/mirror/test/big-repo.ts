// A large signed repository written straight to a CAR file, for memory and scale tests: the
// record tree is built bottom-up from keys already in order (each node encoded once, then only its
// CID kept), so a million records take seconds and little memory, where inserting them one by one
// into a Repo takes minutes and gigabytes. The result is an ordinary repository: the same tree any
// MST implementation builds for these keys, signed by `keypair`.
import { closeSync, openSync, writeSync } from 'node:fs'
import { encodeCarHeader } from '@rsky/car'
import type { Secp256k1Keypair } from '@rsky/crypto'
import { type Cid, cidForCbor, encode } from '@rsky/dag-cbor'
import { heightForKey, MstNode, NodeRef, nodeBytes, nodeCid } from '@rsky/mst'
import { encodeCommit, signCommit } from '@rsky/repo'

const COLLECTIONS = ['app.bsky.feed.like', 'app.bsky.feed.post', 'app.bsky.graph.follow']
const S32 = '234567abcdefghijklmnopqrstuvwxyz'

/** The i-th record key of a generated repository (keys come out in order). */
function keyOf(i: number, perCollection: number): string {
  const c = COLLECTIONS[Math.min(COLLECTIONS.length - 1, Math.floor(i / perCollection))] as string
  let n = 1_700_000_000_000 + i * 7919
  let rkey = ''
  for (let k = 0; k < 13; k++) {
    rkey = S32[n % 32] + rkey
    n = Math.floor(n / 32)
  }
  return `${c}/${rkey}`
}

function recordOf(key: string, i: number): Uint8Array {
  const collection = key.slice(0, key.indexOf('/'))
  return encode(
    collection === 'app.bsky.feed.post'
      ? {
          $type: collection,
          text: `post ${i}: words of a short post, about this long`,
          createdAt: '2026-11-24T12:00:00.000Z',
        }
      : {
          $type: collection,
          subject: `did:plc:${String(i).padStart(24, '0')}`,
          createdAt: '2026-11-24T12:00:00.000Z',
        },
  )
}

class CarFile {
  readonly #fd: number
  readonly #buf = new Uint8Array(1 << 20)
  #len = 0
  /** File offset where the buffer starts (the header is written last, at 0). */
  #at: number
  constructor(path: string, headerLength: number) {
    this.#fd = openSync(path, 'w')
    this.#at = headerLength
  }
  get bytes(): number {
    return this.#at + this.#len
  }
  block(cid: Cid, bytes: Uint8Array): void {
    const body = cid.bytes.length + bytes.length
    if (this.#len + body + 10 > this.#buf.length) this.flush()
    let v = body
    while (v >= 0x80) {
      this.#buf[this.#len++] = (v & 0x7f) | 0x80
      v >>>= 7
    }
    this.#buf[this.#len++] = v
    this.#buf.set(cid.bytes, this.#len)
    this.#buf.set(bytes, this.#len + cid.bytes.length)
    this.#len += body
  }
  flush(): void {
    let done = 0
    while (done < this.#len) done += writeSync(this.#fd, this.#buf, done, this.#len - done, this.#at + done)
    this.#at += this.#len
    this.#len = 0
  }
  finish(header: Uint8Array): void {
    this.flush()
    writeSync(this.#fd, header, 0, header.length, 0)
    closeSync(this.#fd)
  }
}

/**
 * Writes a signed repository of `records` records for `did` to `path`; returns its size in bytes.
 * @example await writeBigRepoCar({ path: '/tmp/r.car', did, keypair, records: 1_000_000 })
 */
export async function writeBigRepoCar(opts: {
  path: string
  did: string
  keypair: Secp256k1Keypair
  records: number
}): Promise<number> {
  const { records } = opts
  const perCollection = Math.ceil(records / COLLECTIONS.length)
  const keys: string[] = new Array(records)
  const heights = new Uint8Array(records)
  let top = 0
  for (let i = 0; i < records; i++) {
    const key = keyOf(i, perCollection)
    keys[i] = key
    const h = heightForKey(key)
    heights[i] = h
    if (h > top) top = h
  }
  // A placeholder header of the final size: a root CID is always 36 bytes.
  const placeholder = encodeCarHeader([cidForCbor(new Uint8Array([0xa0]))])
  const car = new CarFile(opts.path, placeholder.length)
  const cids: Cid[] = new Array(records)
  for (let i = 0; i < records; i++) {
    const bytes = recordOf(keys[i] as string, i)
    const cid = cidForCbor(bytes)
    cids[i] = cid
    car.block(cid, bytes)
  }

  /** The subtree of keys [lo, hi) (all of height ≤ layer) as a node at `layer`, written out. */
  const build = (
    lo: number,
    hi: number,
    layer: number,
    loKey: string | null,
    hiKey: string | null,
  ): NodeRef | null => {
    if (lo >= hi) return null
    const nodeKeys: string[] = []
    const values: Cid[] = []
    const rights: (NodeRef | null)[] = []
    let from = lo
    let left: NodeRef | null = null
    let lastKey = loKey
    for (let i = lo; i <= hi; i++) {
      if (i < hi && heights[i] !== layer) continue
      const sub =
        layer === 0 ? null : build(from, i, layer - 1, lastKey, i < hi ? (keys[i] as string) : hiKey)
      if (nodeKeys.length === 0) left = sub
      else rights[nodeKeys.length - 1] = sub
      if (i < hi) {
        nodeKeys.push(keys[i] as string)
        values.push(cids[i] as Cid)
        rights.push(null)
        lastKey = keys[i] as string
      }
      from = i + 1
    }
    const node = new MstNode(layer, left, nodeKeys, values, rights)
    const cid = nodeCid(node)
    car.block(cid, nodeBytes(node))
    return new NodeRef(cid, layer, loKey, hiKey)
  }
  const root = build(0, records, top, null, null)
  if (root === null) throw new RangeError('records must be at least 1')
  const commit = await signCommit(
    { did: opts.did, version: 3, data: root.cid, rev: '3lbigrepo2222', prev: null },
    opts.keypair,
  )
  const { bytes, cid } = encodeCommit(commit)
  car.block(cid, bytes)
  const header = encodeCarHeader([cid])
  if (header.length !== placeholder.length) throw new Error('unreachable: header size changed')
  car.finish(header)
  return car.bytes
}
