// Open-addressing tables of blocks keyed by CID (CarBlockIndex here, the mirror's spooled block
// table) place a block by two 32-bit words of its sha256 digest, mixed with a per-process secret so
// that a hostile CAR cannot mine block hashes that pile into one bucket and turn each lookup into a
// long scan.

const salt = new Uint32Array(2)
globalThis.crypto.getRandomValues(salt)
const SALT0 = salt[0] as number
const SALT1 = salt[1] as number

/** The big-endian 32-bit word at `b[at..at+4)`. */
export function digestWord(b: Uint8Array, at: number): number {
  return (
    ((b[at] as number) << 24) |
    ((b[at + 1] as number) << 16) |
    ((b[at + 2] as number) << 8) |
    (b[at + 3] as number)
  )
}

/** The salted bucket hash of two digest words (the first two of a CIDv1 sha256 digest). */
export function bucketOfWords(w0: number, w1: number): number {
  const h = Math.imul(w0 ^ SALT0, 0x9e3779b1) ^ Math.imul(w1 ^ SALT1, 0x85ebca77)
  return h ^ (h >>> 16)
}

/** Bucket hash of the 36-byte CID at `b[at..at+36)`: its digest's bytes 4..12 (after the prefix). */
export function cidBucketHash(b: Uint8Array, at: number): number {
  return bucketOfWords(digestWord(b, at + 4), digestWord(b, at + 8))
}
