// Moving an account: the update that points a DID at a new PDS and signing key (optionally a new
// handle and rotation keys), checked against the audit log before anything is sent.
import { type AuditOptions, validateAuditLog } from './audit.ts'
import type { PlcClient } from './client.ts'
import { type FormatDocumentOptions, formatDidDocument } from './document.ts'
import { operationCid } from './encoding.ts'
import { applyOperation } from './history.ts'
import { createUpdate, type UpdateChanges } from './operations.ts'
import type { DocumentData, PlcDidDocument, PlcOperation, PlcSigner } from './types.ts'

/** What a migration changes. */
export interface MigrationChanges extends UpdateChanges {
  /** New PDS endpoint (`https://…`). */
  readonly pds: string
  /** New atproto signing key (did:key). */
  readonly signingKey: string
}

/** Inputs of `planMigration`. */
export interface PlanMigrationInput {
  readonly did: string
  /** The DID's audit log (`/:did/log/audit`), validated here before building on it. */
  readonly auditLog: unknown
  readonly changes: MigrationChanges
  /** A rotation key of the current head. */
  readonly signer: PlcSigner
  /** Time the operation would be accepted at. Default now. */
  readonly now?: number
  readonly audit?: AuditOptions
  readonly document?: FormatDocumentOptions
}

/** A signed migration update and what it does. */
export interface MigrationPlan {
  readonly did: string
  readonly operation: PlcOperation
  readonly cid: string
  readonly before: DocumentData
  readonly after: DocumentData
  /** The DID document once the update is accepted. */
  readonly document: PlcDidDocument
}

/**
 * Builds and signs the migration update on top of the head of a validated audit log, and checks it
 * would be accepted. Nothing is sent.
 * @throws {PlcRuleError} when the log is invalid or the update would be refused;
 *   {SignerNotAllowedError} when the signer is not a rotation key of the head; {TypeError} when the DID is tombstoned.
 * @example const plan = await planMigration({ did, auditLog, signer, changes: { pds: 'https://new.pds', signingKey } })
 */
export async function planMigration(input: PlanMigrationInput): Promise<MigrationPlan> {
  const audited = validateAuditLog(input.did, input.auditLog, input.audit)
  if (!audited.valid) throw audited.error
  const { history, data } = audited.state
  if (data === null) throw new TypeError(`planMigration: ${input.did} is tombstoned`)
  const head = history[history.length - 1]!
  const operation = await createUpdate(head.operation, input.changes, input.signer)
  const applied = applyOperation(input.did, history, operation, { createdAt: input.now ?? Date.now() })
  const after = applied.entry.data!
  return {
    did: input.did,
    operation,
    cid: operationCid(operation),
    before: data,
    after,
    document: formatDidDocument(after, input.document),
  }
}

/** Inputs of `migrateAccount`. */
export interface MigrateAccountInput extends Omit<PlanMigrationInput, 'auditLog'> {
  readonly client: PlcClient
  /** Build and check only; do not submit. */
  readonly dryRun?: boolean
}

/**
 * Fetches the audit log, plans the migration and (unless `dryRun`) submits it.
 * @throws the errors of `planMigration` and of `PlcClient`.
 * @example const { plan } = await migrateAccount({ client, did, signer, changes, dryRun: true })
 */
export async function migrateAccount(
  input: MigrateAccountInput,
): Promise<{ plan: MigrationPlan; submitted: boolean }> {
  const auditLog = await input.client.getAuditLog(input.did)
  const plan = await planMigration({ ...input, auditLog })
  if (input.dryRun === true) return { plan, submitted: false }
  await input.client.submit(input.did, plan.operation)
  return { plan, submitted: true }
}
