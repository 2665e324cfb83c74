// SHA-256 in plain JavaScript (`@rsky/crypto/sha256-js`; `@rsky/crypto/sha256` picks it outside
// Node), the hash of dag-cbor, car and mst in browsers. Written for the MST's hot path (key heights and
// node CIDs) and about 1 KB gzipped, less than half of @noble/hashes' sha256 with its utilities. It
// allocates nothing per call: the schedule and state live in module buffers and the digest is
// written into the caller's array. Cross-checked against @noble/hashes and node:crypto in
// sha256-js.test.ts.

// The constants (FIPS 180-4 4.2.2, 5.3.3): the first 32 bits of the fractional parts of the cube
// roots of the first 64 primes (K) and of the square roots of the first 8 (the initial state).
// Computed rather than written out, which keeps about 450 bytes of incompressible digits out of
// every browser bundle that hashes; each root is made exact with BigInt (the largest n with
// n^e <= p * 2^(32e)), so the rounding of Math.cbrt and Math.sqrt cannot matter. Any wrong
// constant changes every digest, which sha256-js.test.ts compares with node:crypto's.
const IV = new Int32Array(8)
const K = /* @__PURE__ */ (() => {
  const root = (p: number, e: bigint): number => {
    const scaled = BigInt(p) << (32n * e)
    let n = BigInt(Math.floor(p ** (1 / Number(e)) * 2 ** 32))
    while (n ** e > scaled) n--
    while ((n + 1n) ** e <= scaled) n++
    return Number(n & 0xffffffffn)
  }
  const k = new Int32Array(64)
  for (let i = 0, p = 2; i < 64; p++) {
    let d = 2
    while (p % d) d++
    if (d < p) continue
    if (i < 8) IV[i] = root(p, 2n)
    k[i++] = root(p, 3n)
  }
  return k
})()
const W = new Int32Array(64)
const H = new Int32Array(8)
const TAIL = new Uint8Array(128)
const TAIL_VIEW = new DataView(TAIL.buffer)

function compress(data: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++) {
    const j = off + i * 4
    W[i] =
      ((data[j] as number) << 24) |
      ((data[j + 1] as number) << 16) |
      ((data[j + 2] as number) << 8) |
      (data[j + 3] as number)
  }
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15] as number
    const w2 = W[i - 2] as number
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3)
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10)
    W[i] = ((W[i - 16] as number) + s0 + (W[i - 7] as number) + s1) | 0
  }
  let a = H[0] as number
  let b = H[1] as number
  let c = H[2] as number
  let d = H[3] as number
  let e = H[4] as number
  let f = H[5] as number
  let g = H[6] as number
  let h = H[7] as number
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + (K[i] as number) + (W[i] as number)) | 0
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0
    h = g
    g = f
    f = e
    e = (d + t1) | 0
    d = c
    c = b
    b = a
    a = (t1 + t2) | 0
  }
  H[0] = ((H[0] as number) + a) | 0
  H[1] = ((H[1] as number) + b) | 0
  H[2] = ((H[2] as number) + c) | 0
  H[3] = ((H[3] as number) + d) | 0
  H[4] = ((H[4] as number) + e) | 0
  H[5] = ((H[5] as number) + f) | 0
  H[6] = ((H[6] as number) + g) | 0
  H[7] = ((H[7] as number) + h) | 0
}

function run(data: Uint8Array, len: number): void {
  H.set(IV)
  const full = len - (len % 64)
  for (let off = 0; off < full; off += 64) compress(data, off)
  const rest = len - full
  TAIL.fill(0)
  for (let i = 0; i < rest; i++) TAIL[i] = data[full + i] as number
  TAIL[rest] = 0x80
  const tailLen = rest < 56 ? 64 : 128
  // The message length in bits, big-endian in the last 8 bytes (setUint32 takes it modulo 2^32).
  TAIL_VIEW.setUint32(tailLen - 8, len / 0x2000_0000)
  TAIL_VIEW.setUint32(tailLen - 4, len * 8)
  compress(TAIL, 0)
  if (tailLen === 128) compress(TAIL, 64)
}

/** Writes sha256(data[0..len)) into `out` at `offset` (32 bytes). Allocates nothing. */
export function sha256Into(data: Uint8Array, len: number, out: Uint8Array, offset: number): void {
  run(data, len)
  for (let i = 0; i < 8; i++) {
    const v = H[i] as number
    const o = offset + i * 4
    // A Uint8Array store keeps the low 8 bits.
    out[o] = v >>> 24
    out[o + 1] = v >>> 16
    out[o + 2] = v >>> 8
    out[o + 3] = v
  }
}

/**
 * Whether sha256(`data`) equals the 32 bytes of `expected` starting at `at`: a block's hash check,
 * compared word by word with nothing written out. Allocates nothing.
 */
export function sha256Matches(data: Uint8Array, expected: Uint8Array, at: number): boolean {
  run(data, data.length)
  for (let i = 0; i < 8; i++) {
    const o = at + i * 4
    // Both sides are signed 32-bit words.
    if (
      H[i] !==
      (((expected[o] as number) << 24) |
        ((expected[o + 1] as number) << 16) |
        ((expected[o + 2] as number) << 8) |
        (expected[o + 3] as number))
    )
      return false
  }
  return true
}

/** MST layer of data[0..len): leading zero bits of its sha256, halved. Allocates nothing. */
export function sha256LeadingZeroPairs(data: Uint8Array, len: number): number {
  run(data, len)
  let zeros = 0
  for (let i = 0; i < 8; i++) {
    const v = H[i] as number
    if (v === 0) {
      zeros += 32
      continue
    }
    zeros += Math.clz32(v)
    break
  }
  return zeros >>> 1
}

/** sha256 of `data` as a new 32-byte array. */
export function sha256(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(32)
  sha256Into(data, data.length, out, 0)
  return out
}
