import { astring, bytesToBigInt } from './bytes.ts'
import { type ByteEncoding, encodeBytes } from './multibase.ts'

/** Checks a byte count for the random helpers. */
export function checkByteLength(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0 || n > 65536) {
    throw new RangeError(`byteLength must be an integer in [0, 65536]; byteLength=${n}`)
  }
  return n
}

/** `byteLength` random bytes as text. Internal (bound to an engine's CSPRNG by each entry). */
export function randomStrWith(
  random: (n: number) => Uint8Array,
  byteLength: number,
  encoding: ByteEncoding,
): string {
  return encodeBytes(random(checkByteLength(byteLength)), encoding)
}

/** An integer in [low, high) picked by sha256(seed). Internal. */
export function randomIntFromSeedWith(
  sha256: (data: Uint8Array) => Uint8Array,
  seed: string,
  high: number,
  low: number,
): number {
  astring(seed, 'seed')
  if (!Number.isSafeInteger(high) || !Number.isSafeInteger(low) || high <= low) {
    throw new RangeError(`need integers with low < high; low=${low} high=${high}`)
  }
  // The first 48 bits of the hash, as @atproto/crypto reads them.
  const n = Number(bytesToBigInt(sha256(new TextEncoder().encode(seed)).subarray(0, 6)))
  return (n % (high - low)) + low
}
