import * as ipld from '@ipld/dag-cbor'
import { decode } from '/work/main/packages/dag-cbor/src/index.ts'

const which = process.argv[2],
  shape = process.argv[3],
  n = Number(process.argv[4] ?? 1000000)
function hdr(major, n) {
  if (n < 24) return [(major << 5) | n]
  if (n < 256) return [(major << 5) | 24, n]
  if (n < 65536) return [(major << 5) | 25, n >> 8, n & 255]
  return [(major << 5) | 26, (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255]
}
function build(shape, n) {
  const item = {
    bytes0: [0x40],
    map0: [0xa0],
    arr0: [0x80],
    str1: [0x61, 0x61],
    str0: [0x60],
    bytes1: [0x41, 7],
    int: [0x01],
    nestarr: [0x81, 0x80],
    nestmap: [0xa1, 0x60, 0xa0],
    null: [0xf6],
    cidsmall: null,
  }[shape]
  const out = [...hdr(4, n)]
  for (let i = 0; i < n; i++) out.push(...item)
  return new Uint8Array(out)
}
const bytes = build(shape, n)
globalThis.gc()
globalThis.gc()
const before = process.memoryUsage()
const dec = which === 'ours' ? (b) => decode(b, { maxCollectionLength: 1e7 }) : (b) => ipld.decode(b)
const v = dec(bytes)
globalThis.gc()
globalThis.gc()
const after = process.memoryUsage()
const r =
  after.heapUsed -
  before.heapUsed +
  (after.arrayBuffers - before.arrayBuffers) +
  (after.external - before.external)
console.log(
  which,
  shape,
  'input',
  bytes.length,
  'retained MB',
  (r / 1e6).toFixed(1),
  'per input byte',
  (r / bytes.length).toFixed(1),
  Array.isArray(v) ? v.length : '',
)
