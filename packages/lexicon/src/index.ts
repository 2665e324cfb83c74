// @rsky/lexicon: AT Protocol lexicons: schema parsing, record and XRPC validation, type generation
export { type Check, type Ctx, FAIL, formatPath } from './compile.ts'
export { type BlobInfo, base64DecodedLength, isLink, mimeAccepted, readBlob } from './data.ts'
export {
  InvalidLexiconError,
  type LexiconDocIssue,
  type LexiconDocIssueCode,
  type LexiconDocResult,
  LexiconNotFoundError,
  LexiconRefError,
  type LexiconRefIssue,
  LexiconValidationError,
  type ValidationIssue,
  type ValidationIssueCode,
  type ValidationResult,
} from './errors.ts'
export {
  Lexicons,
  type LexiconsOptions,
  type QueryParams,
  resolveRef,
  type ValidateMessageOptions,
  type ValidateRecordOptions,
} from './lexicons.ts'
export {
  isValidKeyType,
  isValidLexiconDoc,
  isValidLexRef,
  MAX_SCHEMA_DEPTH,
  parseLexiconDoc,
  safeParseLexiconDoc,
} from './parse.ts'
export { graphemeLength, utf8Length } from './strings.ts'
export {
  LEX_STRING_FORMATS,
  type LexArray,
  type LexBlob,
  type LexBoolean,
  type LexBytes,
  type LexCidLink,
  type LexFieldSchema,
  type LexInteger,
  type LexiconDoc,
  type LexObject,
  type LexParamSchema,
  type LexParams,
  type LexPermission,
  type LexPermissionSet,
  type LexProcedure,
  type LexQuery,
  type LexRecord,
  type LexRef,
  type LexString,
  type LexStringFormat,
  type LexSubscription,
  type LexToken,
  type LexUnion,
  type LexUnknown,
  type LexUserType,
  type LexXrpcBody,
  type LexXrpcError,
  PRIMARY_TYPES,
} from './types.ts'
export type {
  BlobValue,
  BytesValue,
  CidLinkValue,
  LegacyBlobValue,
  TypedBlobValue,
  UnknownValue,
} from './values.ts'
