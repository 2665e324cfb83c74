// @rsky/syntax: AT Protocol identifier syntax: DID, handle, NSID, record key, TID, datetime,
// AT-URI, at-identifier, language, URI, CID string, and space URIs of permissioned data.

export {
  ensureValidAtIdentifier,
  isDidIdentifier,
  isValidAtIdentifier,
  validateAtIdentifier,
} from './at-identifier.ts'
export {
  AtUri,
  type AtUriParts,
  type AtUriString,
  ensureValidAtUri,
  isValidAtUri,
  MAX_AT_URI_LENGTH,
  validateAtUri,
} from './aturi.ts'
export {
  ensureValidCidString,
  isValidCidString,
  MAX_CID_STRING_LENGTH,
  MIN_CID_STRING_LENGTH,
  validateCidString,
} from './cid-string.ts'
export {
  type DatetimeString,
  EPOCH_DATETIME,
  ensureValidDatetime,
  isValidDatetime,
  MAX_DATETIME_LENGTH,
  normalizeDatetime,
  normalizeDatetimeAlways,
  parseDatetime,
  validateDatetime,
} from './datetime.ts'
export { type DidString, ensureValidDid, isValidDid, MAX_DID_LENGTH, validateDid } from './did.ts'
export {
  DisallowedDomainError,
  InvalidAtIdentifierError,
  InvalidAtUriError,
  InvalidCidStringError,
  InvalidDatetimeError,
  InvalidDidError,
  InvalidHandleError,
  InvalidLanguageError,
  InvalidNsidError,
  InvalidRecordKeyError,
  InvalidS32Error,
  InvalidSpaceUriError,
  InvalidSyntaxError,
  InvalidTidError,
  InvalidUriError,
  type SyntaxIssue,
  type ValidationResult,
} from './errors.ts'
export {
  DISALLOWED_TLDS,
  ensureValidHandle,
  ensureValidHandleAndTld,
  type HandleString,
  INVALID_HANDLE,
  isValidHandle,
  isValidTld,
  MAX_HANDLE_LENGTH,
  normalizeAndEnsureValidHandle,
  normalizeHandle,
  validateHandle,
} from './handle.ts'
export {
  ensureValidLanguage,
  isValidLanguage,
  type LanguageTag,
  parseLanguage,
  validateLanguage,
} from './language.ts'
export {
  ensureValidNsid,
  isValidNsid,
  MAX_NSID_LENGTH,
  Nsid,
  type NsidString,
  parseNsid,
  validateNsid,
} from './nsid.ts'
export {
  ensureValidRecordKey,
  isValidRecordKey,
  MAX_RECORD_KEY_LENGTH,
  validateRecordKey,
} from './record-key.ts'
export {
  ensureValidSpaceUri,
  formatSpaceRecordUri,
  formatSpaceUri,
  isSpaceUri,
  isValidSpaceRecordUri,
  isValidSpaceUri,
  parseSpaceRecordUri,
  parseSpaceUri,
  SPACE_MARKER,
  type SpaceRecordUriParts,
  type SpaceUriParts,
  validateSpaceRecordUri,
  validateSpaceUri,
} from './space-uri.ts'
export {
  createTidGenerator,
  dedashTid,
  ensureValidTid,
  isValidTid,
  MAX_TID_CLOCK_ID,
  MAX_TID_TIMESTAMP,
  type MicrosClock,
  s32decode,
  s32encode,
  TID_LENGTH,
  Tid,
  type TidGenerator,
  type TidGeneratorOptions,
  validateTid,
} from './tid.ts'
export {
  ensureValidUri,
  isValidUri,
  MAX_URI_BYTES,
  validateUri,
} from './uri.ts'
