// The shapes of did:plc operations, the state they produce and the directory's audit-log entries.

/** A service entry of an operation: `{ type, endpoint }`. */
export interface PlcService {
  readonly type: string
  readonly endpoint: string
}

/** The fields every `plc_operation` carries (unsigned: no `sig`). */
export interface UnsignedPlcOperation {
  readonly type: 'plc_operation'
  readonly rotationKeys: readonly string[]
  readonly verificationMethods: Readonly<Record<string, string>>
  readonly alsoKnownAs: readonly string[]
  readonly services: Readonly<Record<string, PlcService>>
  /** CID string of the operation this one follows; `null` for a genesis operation. */
  readonly prev: string | null
}

/** A signed `plc_operation`. */
export interface PlcOperation extends UnsignedPlcOperation {
  readonly sig: string
}

/** An unsigned `plc_tombstone`: deactivates the DID for good. */
export interface UnsignedPlcTombstone {
  readonly type: 'plc_tombstone'
  readonly prev: string
}

/** A signed `plc_tombstone`. */
export interface PlcTombstone extends UnsignedPlcTombstone {
  readonly sig: string
}

/** The deprecated genesis format (`type: 'create'`), still found at the start of old logs. */
export interface UnsignedLegacyCreate {
  readonly type: 'create'
  readonly signingKey: string
  readonly recoveryKey: string
  readonly handle: string
  readonly service: string
  readonly prev: null
}

/** A signed legacy `create` operation. */
export interface LegacyCreate extends UnsignedLegacyCreate {
  readonly sig: string
}

/** Any signed operation a log may hold. */
export type SignedOperation = PlcOperation | PlcTombstone | LegacyCreate

/** Any unsigned operation. */
export type UnsignedOperation = UnsignedPlcOperation | UnsignedPlcTombstone | UnsignedLegacyCreate

/** The state of a live DID: what `/:did/data` serves. */
export interface DocumentData {
  readonly did: string
  readonly rotationKeys: readonly string[]
  readonly verificationMethods: Readonly<Record<string, string>>
  readonly alsoKnownAs: readonly string[]
  readonly services: Readonly<Record<string, PlcService>>
}

/** One entry of `/:did/log/audit` (and of the legacy `/export` form). */
export interface AuditEntry {
  readonly did: string
  readonly operation: SignedOperation
  readonly cid: string
  readonly nullified: boolean
  /** ISO 8601 time the directory accepted the operation. */
  readonly createdAt: string
}

/** A verification method of a rendered DID document. */
export interface DidVerificationMethod {
  readonly id: string
  readonly type: string
  readonly controller: string
  readonly publicKeyMultibase: string
}

/** A service of a rendered DID document. */
export interface DidService {
  readonly id: string
  readonly type: string
  readonly serviceEndpoint: string
}

/** A DID document as the directory renders it. */
export interface PlcDidDocument {
  readonly '@context': readonly string[]
  readonly id: string
  readonly alsoKnownAs: readonly string[]
  readonly verificationMethod: readonly DidVerificationMethod[]
  readonly service: readonly DidService[]
}

/** What signs operations: a rotation key's keypair (`@rsky/crypto` keypairs fit). */
export interface PlcSigner {
  /** did:key of the public key. */
  did(): string
  /** 64-byte compact low-S ECDSA signature over sha256(data). */
  sign(data: Uint8Array): Promise<Uint8Array>
}
