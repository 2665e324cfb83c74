// Signing and checking operation signatures: ECDSA over sha256 of the unsigned DAG-CBOR, compact
// 64-byte low-S form, canonical unpadded base64url. Anything else is refused with its own rule.
import { COMPACT_SIGNATURE_LENGTH, verifySignature } from '@rsky/crypto'
import { fromBase64UrlStrict, toBase64Url } from './base64url.ts'
import { signingBytes } from './encoding.ts'
import type { PlcSigner, SignedOperation, UnsignedOperation } from './types.ts'

/** Outcome of checking a signature against a list of keys. */
export type SignatureCheck =
  | { readonly valid: true; readonly keyIndex: number; readonly key: string }
  | {
      readonly valid: false
      readonly rule: 'SIGNATURE_ENCODING' | 'SIGNATURE_HIGH_S' | 'SIGNATURE_INVALID'
      readonly reason: string
    }

/**
 * Signs an unsigned operation: `sig` = base64url(compact low-S signature over its DAG-CBOR).
 * @example const op = await signOperation(unsigned, rotationKeypair)
 */
export async function signOperation<T extends UnsignedOperation>(
  op: T,
  signer: PlcSigner,
): Promise<T & { sig: string }> {
  if ('sig' in op) throw new TypeError('signOperation: op already has a sig')
  const sig = await signer.sign(signingBytes(op))
  if (!(sig instanceof Uint8Array) || sig.length !== COMPACT_SIGNATURE_LENGTH)
    throw new TypeError('signOperation: signer must return a 64-byte compact signature')
  return { ...op, sig: toBase64Url(sig) }
}

/**
 * Which of `keys` (did:keys, in priority order) signed `op`, or why none did. The sig must be
 * canonical base64url of 64 bytes; a signature valid only in high-S form is named as such.
 * @example checkSignature(op, ['did:key:z…']).valid
 */
export function checkSignature(
  op: SignedOperation,
  keys: readonly string[],
  data: Uint8Array = signingBytes(op),
): SignatureCheck {
  const sig = fromBase64UrlStrict(op.sig)
  if (sig === undefined)
    return { valid: false, rule: 'SIGNATURE_ENCODING', reason: 'sig is not canonical unpadded base64url' }
  if (sig.length !== COMPACT_SIGNATURE_LENGTH)
    return {
      valid: false,
      rule: 'SIGNATURE_ENCODING',
      reason: `sig is ${sig.length} bytes, not a 64-byte compact signature`,
    }
  // verifySignature over the data, not a precomputed digest: the Node entry hands the data to
  // OpenSSL/libsecp256k1 whole, which measured several times faster than its digest path.
  for (let i = 0; i < keys.length; i++) {
    if (safeVerify(keys[i]!, data, sig, false)) return { valid: true, keyIndex: i, key: keys[i]! }
  }
  for (const key of keys) {
    if (safeVerify(key, data, sig, true))
      return { valid: false, rule: 'SIGNATURE_HIGH_S', reason: 'signature verifies only in high-S form' }
  }
  return {
    valid: false,
    rule: 'SIGNATURE_INVALID',
    reason: `no key of ${keys.length} verifies the signature`,
  }
}

// A key that fails to parse verifies nothing; the parser reports bad keys with their path.
function safeVerify(key: string, data: Uint8Array, sig: Uint8Array, allowMalleableSig: boolean): boolean {
  try {
    return verifySignature(key, data, sig, { allowMalleableSig })
  } catch {
    return false
  }
}
