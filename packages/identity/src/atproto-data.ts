// Reading the atproto parts out of a validated DID document, following the DID spec: the first
// *valid* handle, the first *valid* `#atproto` key whose controller is the DID, and the first
// `#atproto_pds` service of the right type with an http(s) URL. Anything else is ignored.
import { didKeyFromVerificationMethod, parseMultikey } from '@rsky/crypto'
import { isValidHandle } from '@rsky/syntax'
import type { DidDocument, DidService, VerificationMethod } from './did-document.ts'
import { MissingHandleError, MissingPdsEndpointError, MissingSigningKeyError } from './errors.ts'

/** The four facts every atproto service needs about an account. */
export interface AtprotoData {
  readonly did: string
  readonly handle: string
  /** `did:key:...` (compressed key, multicodec-prefixed). */
  readonly signingKey: string
  readonly pds: string
}

const LEGACY_TYPES = new Set([
  'Multikey',
  'EcdsaSecp256k1VerificationKey2019',
  'EcdsaSecp256r1VerificationKey2019',
])

// `id` may be relative (`#atproto`) or absolute (`did:...#atproto`); both forms are in the wild.
function idMatches(itemId: unknown, did: string, fragment: string): boolean {
  if (typeof itemId !== 'string') return false
  if (itemId.charCodeAt(0) === 35 /* # */) return itemId === fragment
  return itemId.length === did.length + fragment.length && itemId.startsWith(did) && itemId.endsWith(fragment)
}

/**
 * The claimed handle: the first `at://<handle>` in `alsoKnownAs` whose handle is valid syntax,
 * lower-cased. It is only a claim until checked against handle resolution.
 */
export function getHandle(doc: DidDocument): string | undefined {
  const aka = doc.alsoKnownAs
  if (!aka) return undefined
  for (const alias of aka) {
    if (typeof alias === 'string' && alias.startsWith('at://')) {
      const handle = alias.slice(5)
      if (isValidHandle(handle)) return handle.toLowerCase()
    }
  }
  return undefined
}

/**
 * The verification method with fragment `#<keyId>` and the DID as controller whose key decodes,
 * as a did:key. `keyId` defaults to `atproto` (the repo signing key); labelers use `atproto_label`.
 */
export function getSigningKey(doc: DidDocument, keyId = 'atproto'): string | undefined {
  const vms = doc.verificationMethod
  if (!vms) return undefined
  const fragment = `#${keyId}`
  for (const vm of vms) {
    if (!idMatches(vm.id, doc.id, fragment)) continue
    const key = didKeyFor(vm, doc.id)
    if (key !== undefined) return key
  }
  return undefined
}

function didKeyFor(vm: VerificationMethod, did: string): string | undefined {
  if (vm.controller !== did || !LEGACY_TYPES.has(vm.type) || typeof vm.publicKeyMultibase !== 'string') {
    return undefined
  }
  try {
    if (vm.type === 'Multikey') {
      // A multikey is already the did:key body (base58btc is a bijection), so checking it is
      // enough; re-encoding would repeat the curve check and the base58 work for the same string.
      parseMultikey(vm.publicKeyMultibase)
      return `did:key:${vm.publicKeyMultibase}`
    }
    return didKeyFromVerificationMethod({ type: vm.type, publicKeyMultibase: vm.publicKeyMultibase })
  } catch {
    // An undecodable key is "not a valid key": the spec says to move on to the next entry.
    return undefined
  }
}

/** Options of {@link getServiceEndpoint}: the service fragment (`#atproto_pds`) and required type. */
export interface ServiceQuery {
  readonly id: string
  readonly type?: string
}

/**
 * The first service with the given fragment (and type, when given) whose endpoint is an http(s)
 * URL string. Map endpoints are valid documents but are not a URL, so they are skipped here.
 */
export function getServiceEndpoint(doc: DidDocument, query: ServiceQuery): string | undefined {
  const services = doc.service
  if (!services) return undefined
  for (const s of services as readonly DidService[]) {
    if (!idMatches(s.id, doc.id, query.id)) continue
    if (query.type !== undefined && s.type !== query.type) continue
    const ep = s.serviceEndpoint
    if (typeof ep === 'string' && isHttpUrl(ep)) return ep
  }
  return undefined
}

function isHttpUrl(s: string): boolean {
  return (s.startsWith('https://') || s.startsWith('http://')) && URL.canParse(s)
}

/** The account's PDS URL (`#atproto_pds`, `AtprotoPersonalDataServer`). */
export function getPdsEndpoint(doc: DidDocument): string | undefined {
  return getServiceEndpoint(doc, { id: '#atproto_pds', type: 'AtprotoPersonalDataServer' })
}

/** A feed generator's endpoint (`#bsky_fg`, `BskyFeedGenerator`). */
export function getFeedGenEndpoint(doc: DidDocument): string | undefined {
  return getServiceEndpoint(doc, { id: '#bsky_fg', type: 'BskyFeedGenerator' })
}

/** A labeler's endpoint (`#atproto_labeler`, `AtprotoLabeler`). */
export function getLabelerEndpoint(doc: DidDocument): string | undefined {
  return getServiceEndpoint(doc, { id: '#atproto_labeler', type: 'AtprotoLabeler' })
}

/**
 * The did, handle, signing key and PDS of a document; each missing part is its own error.
 * @throws {MissingHandleError} {MissingSigningKeyError} {MissingPdsEndpointError}
 * @example
 * const { handle, signingKey, pds } = getAtprotoData(await resolver.ensureResolve(did))
 */
export function getAtprotoData(doc: DidDocument): AtprotoData {
  const handle = getHandle(doc)
  if (handle === undefined) throw new MissingHandleError(doc.id)
  const signingKey = getSigningKey(doc)
  if (signingKey === undefined) throw new MissingSigningKeyError(doc.id)
  const pds = getPdsEndpoint(doc)
  if (pds === undefined) throw new MissingPdsEndpointError(doc.id)
  return { did: doc.id, handle, signingKey, pds }
}

/**
 * The signing key alone.
 * @throws {MissingSigningKeyError}
 */
export function ensureAtprotoKey(doc: DidDocument): string {
  const key = getSigningKey(doc)
  if (key === undefined) throw new MissingSigningKeyError(doc.id)
  return key
}
