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
 * A {@link SignatureVerifier} that can also name the key (a did:key), so the check can run
 * elsewhere, e.g. on a worker thread ({@link CommitAuthPool} in `@rsky/sync/node`). @rsky/identity's
 * `IdResolver` and `DidResolver` satisfy it; `forceRefresh` fetches the DID document again.
 */
export interface KeyResolver extends SignatureVerifier {
  resolveAtprotoKey(did: string, opts?: { forceRefresh?: boolean }): Promise<string> | string
}

/**
 * A fixed DID → did:key table (tests, benchmarks, or keys known out of band). A DID missing
 * from the table throws, which the authenticator reports as `KEY_UNAVAILABLE`.
 * @example const keys = staticKeys(new Map([[did, keypair.did()]]))
 */
export function staticKeys(table: ReadonlyMap<string, string> | Record<string, string>): KeyResolver {
  const map = table instanceof Map ? table : new Map(Object.entries(table))
  return {
    resolveAtprotoKey(did: string): string {
      const key = map.get(did)
      if (key === undefined) throw new Error(`no signing key known; did=${did}`)
      return key
    },
    verifySignatureForDid(did: string, data: Uint8Array, sig: Uint8Array): boolean {
      const key = map.get(did)
      if (key === undefined) throw new Error(`no signing key known; did=${did}`)
      return verifySignature(key, data, sig)
    },
  }
}
