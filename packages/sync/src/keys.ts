import { verifySignature } from '@rsky/crypto'

/**
 * Where commit signatures are checked against an account's current signing key. `DidResolver`
 * and `IdResolver` of @rsky/identity satisfy it as they are (their `verifySignatureForDid`
 * refreshes a cached key once when it fails, so key rotation is followed).
 */
export interface SignatureVerifier {
  verifySignatureForDid(did: string, data: Uint8Array, sig: Uint8Array): Promise<boolean> | boolean
}

/**
 * A fixed DID → did:key table (tests, benchmarks, or keys known out of band). A DID missing
 * from the table throws, which the authenticator reports as `KEY_UNAVAILABLE`.
 * @example const keys = staticKeys(new Map([[did, keypair.did()]]))
 */
export function staticKeys(table: ReadonlyMap<string, string> | Record<string, string>): SignatureVerifier {
  const map = table instanceof Map ? table : new Map(Object.entries(table))
  return {
    verifySignatureForDid(did: string, data: Uint8Array, sig: Uint8Array): boolean {
      const key = map.get(did)
      if (key === undefined) throw new Error(`no signing key known; did=${did}`)
      return verifySignature(key, data, sig)
    },
  }
}
