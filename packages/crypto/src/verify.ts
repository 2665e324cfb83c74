import { abytes, astring } from './bytes.ts'
import { COMPACT_SIGNATURE_LENGTH, type JwtAlg } from './constants.ts'
import { derToCompact, isHighS } from './curves.ts'
import { decodeDidKey } from './did-key.ts'
import type { CryptoEngine, PublicKeyVerifier } from './engine.ts'
import { InvalidDidKeyError, InvalidPublicKeyError, JwtAlgMismatchError } from './errors.ts'

/** Options of `verifySignature` and `verifySignatureDigest`. */
export interface VerifyOptions {
  /**
   * Accept high-S and DER-encoded signatures too. atproto requires compact low-S signatures;
   * set this only for data signed before that rule. Default false.
   */
  readonly allowMalleableSig?: boolean
  /** Require the did:key to be of this algorithm (`ES256K` or `ES256`); throws otherwise. */
  readonly jwtAlg?: string
}

/** A did:key parsed and imported into a backend. */
export interface ImportedDidKey {
  readonly jwtAlg: JwtAlg
  readonly verifier: PublicKeyVerifier
}

/** Default number of did:keys kept imported per entry. */
export const DID_KEY_CACHE_SIZE = 4096

/**
 * A lookup from did:key to an imported public key, remembering up to `maxSize` keys (oldest
 * evicted first) so a did:key is parsed, decompressed and imported once, not on every call.
 */
export function createDidKeyCache(
  engine: CryptoEngine,
  maxSize: number = DID_KEY_CACHE_SIZE,
): (didKey: string) => ImportedDidKey {
  const cache = new Map<string, ImportedDidKey>()
  return (didKey) => {
    const hit = cache.get(didKey)
    if (hit !== undefined) return hit
    const { jwtAlg, keyBytes } = decodeDidKey(didKey)
    let verifier: PublicKeyVerifier
    try {
      verifier = engine.importPublicKey(jwtAlg, keyBytes)
    } catch (cause) {
      if (!(cause instanceof InvalidPublicKeyError)) throw cause
      throw new InvalidDidKeyError(didKey, 'point', `not a ${jwtAlg} curve point`, { cause })
    }
    const entry: ImportedDidKey = { jwtAlg, verifier }
    if (cache.size >= maxSize) cache.delete(cache.keys().next().value as string)
    cache.set(didKey, entry)
    return entry
  }
}

/**
 * The shared verify: argument guards, jwtAlg check, signature form (compact low-S unless
 * allowMalleableSig, then DER and high-S too), then the engine. Internal.
 */
export function verifyWith(
  lookup: (didKey: string) => ImportedDidKey,
  didKey: string,
  message: Uint8Array,
  sig: Uint8Array,
  opts: VerifyOptions | undefined,
  prehashed: boolean,
): boolean {
  astring(didKey, 'didKey')
  abytes(message, prehashed ? 'digest' : 'data', prehashed ? 32 : undefined)
  abytes(sig, 'sig')
  const key = lookup(didKey)
  const expected = opts?.jwtAlg
  if (expected !== undefined && expected !== key.jwtAlg) throw new JwtAlgMismatchError(expected, key.jwtAlg)
  let compact: Uint8Array | null = sig
  if (opts?.allowMalleableSig === true) {
    if (sig.length !== COMPACT_SIGNATURE_LENGTH) compact = derToCompact(key.jwtAlg, sig)
    if (compact === null) return false
  } else if (sig.length !== COMPACT_SIGNATURE_LENGTH || isHighS(key.jwtAlg, sig)) {
    return false
  }
  return prehashed ? key.verifier.verifyDigest(message, compact) : key.verifier.verifyData(message, compact)
}
