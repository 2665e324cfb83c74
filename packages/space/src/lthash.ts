import { blake3 } from '@noble/hashes/blake3.js'
import { sha256 } from '@rsky/crypto'
import { FAST_XOF_MAX_INPUT, foldXof2048 } from './blake3-xof.ts'

/** Number of 16-bit lanes in an LtHash16 state. */
export const LTHASH_LANES = 1024
/** Size of a persisted LtHash16 state in bytes (1024 little-endian u16 lanes). */
export const LTHASH_STATE_BYTES = 2048

// The state is defined as little-endian lanes. On a little-endian host a Uint16Array over the
// byte buffer already has that layout, so lane arithmetic is one typed-array add per lane. On a
// big-endian host we fall back to byte arithmetic on the same little-endian buffer.
const IS_LITTLE_ENDIAN: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

// Scratch buffers shared by every LtHash: add/remove are synchronous, so nothing interleaves.
const xofOut = new Uint8Array(LTHASH_STATE_BYTES)
const xofLanes = new Uint16Array(xofOut.buffer)
let encodeScratch = new Uint8Array(256)
const utf8 = new TextEncoder()

/** UTF-8 bytes of `s` in a reused buffer (ASCII without TextEncoder, which dominates short inputs). */
function encodeElement(s: string): Uint8Array {
  const n = s.length
  if (n * 3 > encodeScratch.length) encodeScratch = new Uint8Array(Math.max(n * 3, encodeScratch.length * 2))
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c > 0x7f) return encodeScratch.subarray(0, utf8.encodeInto(s, encodeScratch).written)
    encodeScratch[i] = c
  }
  return encodeScratch.subarray(0, n)
}

/**
 * Lane-wise `state += sign * expansion (mod 2^16)` over little-endian byte buffers, in portable
 * byte arithmetic. Used on big-endian hosts; exported for the differential test.
 * @internal
 */
export function combineLanesPortable(state: Uint8Array, expansion: Uint8Array, subtract: boolean): void {
  for (let i = 0; i < LTHASH_STATE_BYTES; i += 2) {
    const a = state[i]! | (state[i + 1]! << 8)
    const b = expansion[i]! | (expansion[i + 1]! << 8)
    const r = subtract ? a - b : a + b
    state[i] = r & 0xff
    state[i + 1] = (r >>> 8) & 0xff
  }
}

/**
 * LtHash16: a homomorphic multiset hash. Each element expands (BLAKE3 XOF) to 1024 little-endian
 * u16 lanes that are added into, or subtracted from, the state mod 2^16; order does not matter,
 * and adding an element twice counts it twice. The commit hash is `sha256(state)`.
 *
 * An LtHash is an accumulator: `add` and `remove` update it in place and return it, because a
 * repo fold touches it once per record. Use {@link LtHash.clone} to stage a change.
 *
 * @example
 * ```ts
 * const h = new LtHash().add('app.bsky.feed.post/3k2a/bafy...')
 * const persisted = h.state() // 2048 bytes
 * new LtHash(persisted).remove('app.bsky.feed.post/3k2a/bafy...').isEmpty() // true
 * ```
 */
export class LtHash {
  readonly #bytes: Uint8Array
  readonly #lanes: Uint16Array
  readonly #words: Uint32Array

  /**
   * Starts from a persisted 2048-byte state (copied), or from the empty state when none is given.
   * @throws {TypeError} when `state` is not a Uint8Array
   * @throws {RangeError} when `state` is not exactly 2048 bytes
   */
  constructor(state?: Uint8Array | null) {
    const buffer = new ArrayBuffer(LTHASH_STATE_BYTES)
    this.#bytes = new Uint8Array(buffer)
    this.#lanes = new Uint16Array(buffer)
    this.#words = new Uint32Array(buffer)
    if (state != null) {
      if (!(state instanceof Uint8Array)) throw new TypeError('LtHash state must be a Uint8Array')
      if (state.length !== LTHASH_STATE_BYTES) {
        throw new RangeError(`LtHash state must be ${LTHASH_STATE_BYTES} bytes; length=${state.length}`)
      }
      this.#bytes.set(state)
    }
  }

  /**
   * Rebuilds an LtHash from persisted state; `null`/`undefined` gives the empty state.
   * @throws {RangeError} when `state` is not exactly 2048 bytes
   */
  static fromState(state: Uint8Array | null | undefined): LtHash {
    return new LtHash(state)
  }

  /** Adds one element (a string is hashed as UTF-8). Returns this accumulator. */
  add(element: string | Uint8Array): this {
    this.#combine(element, false)
    return this
  }

  /** Removes one element (the inverse of {@link LtHash.add}). Returns this accumulator. */
  remove(element: string | Uint8Array): this {
    this.#combine(element, true)
    return this
  }

  #combine(element: string | Uint8Array, subtract: boolean): void {
    const bytes = typeof element === 'string' ? encodeElement(element) : element
    if (IS_LITTLE_ENDIAN && bytes.length <= FAST_XOF_MAX_INPUT) {
      foldXof2048(bytes, bytes.length, this.#words, subtract)
      return
    }
    // Long elements (over one BLAKE3 chunk) and big-endian hosts: @noble/hashes XOF, then lanes.
    blake3.create({ dkLen: LTHASH_STATE_BYTES }).update(bytes).xofInto(xofOut)
    if (IS_LITTLE_ENDIAN) {
      const lanes = this.#lanes
      if (subtract) for (let i = 0; i < LTHASH_LANES; i++) lanes[i] = lanes[i]! - xofLanes[i]!
      else for (let i = 0; i < LTHASH_LANES; i++) lanes[i] = lanes[i]! + xofLanes[i]!
    } else {
      combineLanesPortable(this.#bytes, xofOut, subtract)
    }
  }

  /** Adds another accumulator's multiset into this one (lane-wise sum). */
  addHash(other: LtHash): this {
    combineLanesPortable(this.#bytes, other.#bytes, false)
    return this
  }

  /** The 2048-byte little-endian state, copied, for persistence. */
  state(): Uint8Array {
    return this.#bytes.slice()
  }

  /** The commit hash: sha256 of the 2048-byte state (32 bytes). */
  digest(): Uint8Array {
    return sha256(this.#bytes)
  }

  /** True when the state is all zeroes (the empty multiset, or one whose elements cancelled). */
  isEmpty(): boolean {
    const lanes = this.#lanes
    for (let i = 0; i < LTHASH_LANES; i++) if (lanes[i] !== 0) return false
    return true
  }

  /** True when both states are identical. */
  equals(other: LtHash): boolean {
    const a = this.#bytes
    const b = other.#bytes
    for (let i = 0; i < LTHASH_STATE_BYTES; i++) if (a[i] !== b[i]) return false
    return true
  }

  /** An independent copy. */
  clone(): LtHash {
    return new LtHash(this.#bytes)
  }
}
