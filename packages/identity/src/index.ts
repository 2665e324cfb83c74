// @rsky/identity: AT Protocol identity: did:plc and did:web resolution, handle resolution over DNS
// and HTTPS, DID documents, caching. Node picks the UDP DNS transport through the `#dns-default`
// import condition; other runtimes resolve handles over HTTPS unless given a transport.
export {
  type AtprotoData,
  ensureAtprotoKey,
  getAtprotoData,
  getFeedGenEndpoint,
  getHandle,
  getLabelerEndpoint,
  getPdsEndpoint,
  getServiceEndpoint,
  getSigningKey,
  type ServiceQuery,
} from './atproto-data.ts'
export {
  type CacheResult,
  DAY_MS,
  type DidCache,
  HOUR_MS,
  MemoryCache,
  type MemoryCacheOptions,
} from './cache.ts'
export {
  type DidDocument,
  type DidDocumentLimits,
  type DidDocumentResult,
  type DidService,
  ensureValidDidDocument,
  isValidDidDocument,
  parseDidDocument,
  type VerificationMethod,
} from './did-document.ts'
export { DEFAULT_PLC_URL, type DidUrlOptions, didDocumentUrl, didMethod } from './did-methods.ts'
export {
  DidResolver,
  type DidResolverOptions,
  parseDocumentBody,
  type ResolveOptions,
} from './did-resolver.ts'
export { createDohTxtQuery, type DohOptions } from './dns/doh.ts'
export type { DnsDefaults, DnsTxtQuery, TxtQueryRequest } from './dns/types.ts'
export {
  AtprotoDataError,
  DidDocumentIdMismatchError,
  DidDocumentInvalidError,
  DidNotFoundError,
  DnsError,
  type DocumentIssue,
  HandleDnsConflictError,
  HandleMismatchError,
  HandleNotFoundError,
  HttpStatusError,
  IdentityError,
  MissingHandleError,
  MissingPdsEndpointError,
  MissingSigningKeyError,
  NetworkError,
  PoorlyFormattedDidError,
  RedirectRefusedError,
  ResolutionTimeoutError,
  ResponseTooLargeError,
  UnsupportedDidMethodError,
} from './errors.ts'
export {
  didFromTxtRecords,
  type HandleLookupOptions,
  type HandleMethodOutcome,
  type HandleResolution,
  HandleResolver,
  type HandleResolverOptions,
  normalizeResolvableHandle,
} from './handle-resolver.ts'
export type { FetchLike, RedirectPolicy } from './http.ts'
export {
  type DidIdentity,
  IdResolver,
  type IdResolverOptions,
  type VerifiedIdentity,
} from './id-resolver.ts'
