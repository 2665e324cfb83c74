// @rsky/dag-cbor: the AT Protocol data model. Strict DAG-CBOR, CIDs, and the JSON form.
export {
  type BlobRef,
  blobRefToLex,
  type FindBlobRefsOptions,
  findBlobRefs,
  InvalidBlobRefError,
  type InvalidBlobRefErrorCode,
  isBlobRef,
  isLegacyBlobRef,
  type LegacyBlobRef,
  type ParsedBlobRef,
  parseBlobRef,
} from './blob.ts'
export {
  Cid,
  cidForCbor,
  cidForRaw,
  cidKey,
  createCid,
  DAG_CBOR_CODEC,
  DAG_PB_CODEC,
  isCid,
  isDaslCid,
  type Multihash,
  RAW_CODEC,
  SHA2_256_CODE,
} from './cid.ts'
export {
  asCid,
  decodeCid,
  decodeCidPrefix,
  decodeCidView,
  fromMultiformatsCid,
  parseCid,
} from './cid-parse.ts'
export {
  DECODE_MAX_HEAP_PER_INPUT_BYTE,
  DEFAULT_DECODE_MAX_DEPTH,
  DEFAULT_MAX_COLLECTION_LENGTH,
  DEFAULT_MAX_INPUT_LENGTH,
  type DecodeOptions,
  decode,
  decodeBlock,
  decodeRecord,
} from './decode.ts'
export { DEFAULT_ENCODE_MAX_DEPTH, type EncodeOptions, encode, encodeWithCid } from './encode.ts'
export {
  DagCborDecodeError,
  type DagCborDecodeErrorCode,
  DagCborEncodeError,
  type DagCborEncodeErrorCode,
  InvalidCidError,
  type InvalidCidErrorCode,
  LexJsonError,
  type LexJsonErrorCode,
} from './errors.ts'
export {
  jsonToLex,
  jsonToLexMap,
  type LexJsonIssue,
  type LexJsonOptions,
  type LexJsonResult,
  lexToJson,
  safeJsonToLexMap,
} from './json.ts'
export { isLexMap, type LexMap, type LexValue, lexEquals } from './lex.ts'
export {
  type DagCborIssue,
  type DagCborKind,
  type DagCborValidation,
  ensureValidDagCbor,
  validateDagCbor,
} from './scan.ts'
/** @internal Minimal unsigned varints as CID headers use them (for @rsky/car's error fields). */
export { readVarint, type VarintRead } from './varint.ts'
