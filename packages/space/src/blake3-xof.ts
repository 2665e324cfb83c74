// BLAKE3 in XOF mode, specialised for LtHash: one input of at most one chunk (1024 bytes), 2048
// bytes of output folded straight into the lanes without materialising them. @noble/hashes
// stays the reference (differential test in test/blake3-xof.test.ts) and the fallback for
// longer inputs and big-endian hosts.
//
// Why it pays: all 32 output blocks compress the same root block with only the counter
// changing, so the message schedule (7 rounds x 16 words) is computed once per element, and
// the 64-byte output blocks are added into the state as packed u16 pairs while still in
// registers.

const IV0 = 0x6a09e667
const IV1 = 0xbb67ae85
const IV2 = 0x3c6ef372
const IV3 = 0xa54ff53a
const IV4 = 0x510e527f
const IV5 = 0x9b05688c
const IV6 = 0x1f83d9ab
const IV7 = 0x5be0cd19
const CHUNK_START = 1
const CHUNK_END = 2
const ROOT = 8

/** Largest input the fast path takes: one BLAKE3 chunk. */
export const FAST_XOF_MAX_INPUT = 1024

// Message word order of each of the 7 rounds (the permutation applied r times).
const PERM = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8]
const SCHEDULE: Uint8Array = (() => {
  const out = new Uint8Array(7 * 16)
  let order = Array.from({ length: 16 }, (_, i) => i)
  for (let r = 0; r < 7; r++) {
    out.set(order, r * 16)
    order = PERM.map((p) => order[p]!)
  }
  return out
})()

const sched = new Uint32Array(7 * 16)
const cv = new Uint32Array(8)
const out16 = new Uint32Array(16)

/** Loads block `b` of `input` (zero-padded) as the 112-word schedule for 7 rounds. */
function loadSchedule(input: Uint8Array, start: number, end: number): void {
  const m = out16
  for (let w = 0; w < 16; w++) {
    const p = start + w * 4
    m[w] =
      (p < end ? input[p]! : 0) |
      (p + 1 < end ? input[p + 1]! << 8 : 0) |
      (p + 2 < end ? input[p + 2]! << 16 : 0) |
      (p + 3 < end ? input[p + 3]! << 24 : 0)
  }
  for (let i = 0; i < 112; i++) sched[i] = m[SCHEDULE[i]!]!
}

/**
 * One BLAKE3 compression of the loaded schedule. Writes the 16 output words (first 8 are the
 * next chaining value) into `out16`.
 */
function compress(t: number, blockLen: number, flags: number): void {
  const s = sched
  let v0 = cv[0]!
  let v1 = cv[1]!
  let v2 = cv[2]!
  let v3 = cv[3]!
  let v4 = cv[4]!
  let v5 = cv[5]!
  let v6 = cv[6]!
  let v7 = cv[7]!
  let v8 = IV0
  let v9 = IV1
  let v10 = IV2
  let v11 = IV3
  let v12 = t | 0
  let v13 = (t / 0x100000000) | 0
  let v14 = blockLen
  let v15 = flags
  let x = 0
  for (let k = 0; k < 112; k += 16) {
    // Columns.
    v0 = (v0 + v4 + s[k]!) | 0
    x = v12 ^ v0
    v12 = (x >>> 16) | (x << 16)
    v8 = (v8 + v12) | 0
    x = v4 ^ v8
    v4 = (x >>> 12) | (x << 20)
    v0 = (v0 + v4 + s[k + 1]!) | 0
    x = v12 ^ v0
    v12 = (x >>> 8) | (x << 24)
    v8 = (v8 + v12) | 0
    x = v4 ^ v8
    v4 = (x >>> 7) | (x << 25)
    v1 = (v1 + v5 + s[k + 2]!) | 0
    x = v13 ^ v1
    v13 = (x >>> 16) | (x << 16)
    v9 = (v9 + v13) | 0
    x = v5 ^ v9
    v5 = (x >>> 12) | (x << 20)
    v1 = (v1 + v5 + s[k + 3]!) | 0
    x = v13 ^ v1
    v13 = (x >>> 8) | (x << 24)
    v9 = (v9 + v13) | 0
    x = v5 ^ v9
    v5 = (x >>> 7) | (x << 25)
    v2 = (v2 + v6 + s[k + 4]!) | 0
    x = v14 ^ v2
    v14 = (x >>> 16) | (x << 16)
    v10 = (v10 + v14) | 0
    x = v6 ^ v10
    v6 = (x >>> 12) | (x << 20)
    v2 = (v2 + v6 + s[k + 5]!) | 0
    x = v14 ^ v2
    v14 = (x >>> 8) | (x << 24)
    v10 = (v10 + v14) | 0
    x = v6 ^ v10
    v6 = (x >>> 7) | (x << 25)
    v3 = (v3 + v7 + s[k + 6]!) | 0
    x = v15 ^ v3
    v15 = (x >>> 16) | (x << 16)
    v11 = (v11 + v15) | 0
    x = v7 ^ v11
    v7 = (x >>> 12) | (x << 20)
    v3 = (v3 + v7 + s[k + 7]!) | 0
    x = v15 ^ v3
    v15 = (x >>> 8) | (x << 24)
    v11 = (v11 + v15) | 0
    x = v7 ^ v11
    v7 = (x >>> 7) | (x << 25)
    // Diagonals.
    v0 = (v0 + v5 + s[k + 8]!) | 0
    x = v15 ^ v0
    v15 = (x >>> 16) | (x << 16)
    v10 = (v10 + v15) | 0
    x = v5 ^ v10
    v5 = (x >>> 12) | (x << 20)
    v0 = (v0 + v5 + s[k + 9]!) | 0
    x = v15 ^ v0
    v15 = (x >>> 8) | (x << 24)
    v10 = (v10 + v15) | 0
    x = v5 ^ v10
    v5 = (x >>> 7) | (x << 25)
    v1 = (v1 + v6 + s[k + 10]!) | 0
    x = v12 ^ v1
    v12 = (x >>> 16) | (x << 16)
    v11 = (v11 + v12) | 0
    x = v6 ^ v11
    v6 = (x >>> 12) | (x << 20)
    v1 = (v1 + v6 + s[k + 11]!) | 0
    x = v12 ^ v1
    v12 = (x >>> 8) | (x << 24)
    v11 = (v11 + v12) | 0
    x = v6 ^ v11
    v6 = (x >>> 7) | (x << 25)
    v2 = (v2 + v7 + s[k + 12]!) | 0
    x = v13 ^ v2
    v13 = (x >>> 16) | (x << 16)
    v8 = (v8 + v13) | 0
    x = v7 ^ v8
    v7 = (x >>> 12) | (x << 20)
    v2 = (v2 + v7 + s[k + 13]!) | 0
    x = v13 ^ v2
    v13 = (x >>> 8) | (x << 24)
    v8 = (v8 + v13) | 0
    x = v7 ^ v8
    v7 = (x >>> 7) | (x << 25)
    v3 = (v3 + v4 + s[k + 14]!) | 0
    x = v14 ^ v3
    v14 = (x >>> 16) | (x << 16)
    v9 = (v9 + v14) | 0
    x = v4 ^ v9
    v4 = (x >>> 12) | (x << 20)
    v3 = (v3 + v4 + s[k + 15]!) | 0
    x = v14 ^ v3
    v14 = (x >>> 8) | (x << 24)
    v9 = (v9 + v14) | 0
    x = v4 ^ v9
    v4 = (x >>> 7) | (x << 25)
  }
  const o = out16
  o[0] = v0 ^ v8
  o[1] = v1 ^ v9
  o[2] = v2 ^ v10
  o[3] = v3 ^ v11
  o[4] = v4 ^ v12
  o[5] = v5 ^ v13
  o[6] = v6 ^ v14
  o[7] = v7 ^ v15
  o[8] = v8 ^ cv[0]!
  o[9] = v9 ^ cv[1]!
  o[10] = v10 ^ cv[2]!
  o[11] = v11 ^ cv[3]!
  o[12] = v12 ^ cv[4]!
  o[13] = v13 ^ cv[5]!
  o[14] = v14 ^ cv[6]!
  o[15] = v15 ^ cv[7]!
}

const LOW15 = 0x7fff7fff
const HIGH = 0x80008000

/**
 * Expands `input[0, len)` with BLAKE3 XOF to 2048 bytes and adds (or subtracts) it lane-wise
 * into `state`, 512 u32 words each holding two little-endian u16 lanes. The caller guarantees
 * a little-endian host (so the words alias the state bytes) and `len <= 1024`.
 */
export function foldXof2048(input: Uint8Array, len: number, state: Uint32Array, subtract: boolean): void {
  cv[0] = IV0
  cv[1] = IV1
  cv[2] = IV2
  cv[3] = IV3
  cv[4] = IV4
  cv[5] = IV5
  cv[6] = IV6
  cv[7] = IV7
  // Every block but the last chains; the last one is the root, compressed once per output block.
  const blocks = len === 0 ? 1 : Math.ceil(len / 64)
  for (let b = 0; b < blocks - 1; b++) {
    loadSchedule(input, b * 64, len)
    compress(0, 64, b === 0 ? CHUNK_START : 0)
    for (let i = 0; i < 8; i++) cv[i] = out16[i]!
  }
  const lastStart = (blocks - 1) * 64
  loadSchedule(input, lastStart, len)
  const flags = (blocks === 1 ? CHUNK_START : 0) | CHUNK_END | ROOT
  const lastLen = len - lastStart
  const o = out16
  for (let t = 0; t < 32; t++) {
    compress(t, lastLen, flags)
    const base = t * 16
    // Packed u16 pairs: add or subtract both lanes of a word at once, carries kept in-lane.
    if (subtract) {
      for (let i = 0; i < 16; i++) {
        const a = state[base + i]!
        const b = o[i]!
        state[base + i] = ((a | HIGH) - (b & LOW15)) ^ ((a ^ ~b) & HIGH)
      }
    } else {
      for (let i = 0; i < 16; i++) {
        const a = state[base + i]!
        const b = o[i]!
        state[base + i] = ((a & LOW15) + (b & LOW15)) ^ ((a ^ b) & HIGH)
      }
    }
  }
}
