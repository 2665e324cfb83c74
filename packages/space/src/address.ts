import type { Cid } from '@rsky/dag-cbor'
import { RecordPathError } from './errors.ts'

// Space and space-record URIs are @rsky/syntax's grammar; this package re-exports them so a
// space client needs one import.
export {
  formatSpaceRecordUri,
  formatSpaceUri,
  InvalidSpaceUriError,
  isSpaceUri,
  isValidSpaceRecordUri,
  isValidSpaceUri,
  parseSpaceRecordUri,
  parseSpaceUri,
  SPACE_MARKER,
  type SpaceRecordUriParts,
  type SpaceUriParts,
} from '@rsky/syntax'

/** A record's place in a repo: collection NSID and record key. */
export interface RecordPath {
  readonly collection: string
  readonly rkey: string
}

/**
 * The audience a delegation token or client attestation names: the authority's space-host
 * service, `{spaceDid}#atproto_space_host`.
 */
export function spaceHostAud(spaceDid: string): string {
  return `${spaceDid}#atproto_space_host`
}

/** `collection/rkey`, the key of a space repo index. */
export function formatRecordPath(collection: string, rkey: string): string {
  return `${collection}/${rkey}`
}

/**
 * Splits `collection/rkey`. Both parts must be non-empty and there must be exactly one slash;
 * the grammar of each part is not checked here (see `parseSpaceRecordUri`).
 * @throws {RecordPathError}
 */
export function parseRecordPath(path: string): RecordPath {
  const slash = path.indexOf('/')
  if (slash <= 0 || slash === path.length - 1 || path.indexOf('/', slash + 1) !== -1) {
    throw new RecordPathError(path)
  }
  return { collection: path.slice(0, slash), rkey: path.slice(slash + 1) }
}

/**
 * The LtHash element a record contributes: `collection/rkey/cid` (CID in base32 multibase).
 * It stays unambiguous because an NSID and a base32 CID contain no slash.
 */
export function formatSetHashElement(collection: string, rkey: string, cid: Cid | string): string {
  return `${collection}/${rkey}/${typeof cid === 'string' ? cid : cid.toString()}`
}
