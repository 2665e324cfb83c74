// @rsky/plc: did:plc operations (build, sign, parse), audit-log validation as the directory does
// it, DID documents, a bounded directory client and account-migration helpers. No node:* imports.
export {
  type AuditOptions,
  type AuditOutcome,
  DEFAULT_MAX_LOG_ENTRIES,
  type PlcState,
  validateAuditLog,
  validateOperationLog,
} from './audit.ts'
export { fromBase64UrlStrict, toBase64Url } from './base64url.ts'
export {
  type CallOptions,
  DEFAULT_PLC_DIRECTORY,
  DEFAULT_PLC_MAX_BYTES,
  DEFAULT_PLC_TIMEOUT_MS,
  type ExportEntry,
  type ExportOptions,
  MAX_EXPORT_COUNT,
  PlcClient,
  type PlcClientOptions,
} from './client.ts'
export { type FormatDocumentOptions, formatDidDocument, type KeyFormat } from './document.ts'
export { didForGenesis, encodeOperation, operationCid, PLC_ID_LENGTH, signingBytes } from './encoding.ts'
export {
  OperationFormatError,
  type OperationIssue,
  type OperationIssueCode,
  PlcError,
  PlcHttpError,
  PlcNetworkError,
  PlcNotFoundError,
  PlcResponseInvalidError,
  PlcResponseTooLargeError,
  type PlcRule,
  PlcRuleError,
  PlcTimeoutError,
  SignerNotAllowedError,
} from './errors.ts'
export {
  type ApplyContext,
  type ApplyResult,
  applyOperation,
  type HistoryEntry,
  RECOVERY_WINDOW_MS,
} from './history.ts'
export type { FetchLike } from './http.ts'
export {
  type MigrateAccountInput,
  type MigrationChanges,
  type MigrationPlan,
  migrateAccount,
  type PlanMigrationInput,
  planMigration,
} from './migration.ts'
export {
  ATPROTO_PDS_SERVICE,
  ATPROTO_PDS_TYPE,
  ATPROTO_SIGNING_KEY,
  type BuiltOperation,
  buildUpdate,
  createGenesis,
  createTombstone,
  createUpdate,
  ensureHttpUrl,
  type GenesisInput,
  handleToAka,
  normalizeOperation,
  operationToData,
  type UpdateChanges,
} from './operations.ts'
export {
  isOperationCid,
  MAX_OPERATION_BYTES,
  MAX_ROTATION_KEYS,
  MAX_VERIFICATION_METHODS,
  type OperationValidation,
  type ParseOperationOptions,
  parseOperation,
  parseOperationJson,
  validateOperation,
} from './parse.ts'
export { checkSignature, type SignatureCheck, signOperation } from './signature.ts'
export type * from './types.ts'
