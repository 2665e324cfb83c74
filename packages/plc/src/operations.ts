// Building operations: genesis, updates, tombstones; the legacy format's modern equivalent; the
// state an operation sets.
import { didForGenesisBytes, encodeOperation, operationCid } from './encoding.ts'
import { SignerNotAllowedError } from './errors.ts'
import { signOperation } from './signature.ts'
import type {
  DocumentData,
  PlcOperation,
  PlcService,
  PlcSigner,
  PlcTombstone,
  SignedOperation,
  UnsignedPlcOperation,
} from './types.ts'

/** Service id and type of an atproto PDS. */
export const ATPROTO_PDS_SERVICE = 'atproto_pds'
export const ATPROTO_PDS_TYPE = 'AtprotoPersonalDataServer'
/** Verification method id of the atproto signing key. */
export const ATPROTO_SIGNING_KEY = 'atproto'

/** `at://` + handle, unless it already is an at:// URI. */
export function handleToAka(handle: string): string {
  if (handle.startsWith('at://')) return handle
  return `at://${handle.replace(/^https?:\/\//, '')}`
}

/** `https://` + host, unless it already is an http(s) URL. */
export function ensureHttpUrl(endpoint: string): string {
  return endpoint.startsWith('http://') || endpoint.startsWith('https://') ? endpoint : `https://${endpoint}`
}

/**
 * The `plc_operation` form of any non-tombstone operation; a legacy `create` becomes the operation
 * it stands for (rotation keys [recoveryKey, signingKey]). Signature and prev are kept.
 */
export function normalizeOperation(
  op: PlcOperation | Extract<SignedOperation, { type: 'create' }>,
): PlcOperation {
  if (op.type === 'plc_operation') return op
  return {
    type: 'plc_operation',
    verificationMethods: { [ATPROTO_SIGNING_KEY]: op.signingKey },
    rotationKeys: [op.recoveryKey, op.signingKey],
    alsoKnownAs: [handleToAka(op.handle)],
    services: { [ATPROTO_PDS_SERVICE]: { type: ATPROTO_PDS_TYPE, endpoint: ensureHttpUrl(op.service) } },
    prev: op.prev,
    sig: op.sig,
  }
}

/** The state `op` sets for `did`, or `null` for a tombstone. */
export function operationToData(did: string, op: SignedOperation): DocumentData | null {
  if (op.type === 'plc_tombstone') return null
  const { rotationKeys, verificationMethods, alsoKnownAs, services } = normalizeOperation(op)
  return { did, rotationKeys, verificationMethods, alsoKnownAs, services }
}

/** Fields of a new genesis operation. */
export interface GenesisInput {
  /** Rotation keys (did:key), highest priority first. */
  readonly rotationKeys: readonly string[]
  /** Verification methods by id; `signingKey` is a shortcut for `{ atproto: signingKey }`. */
  readonly verificationMethods?: Readonly<Record<string, string>>
  readonly signingKey?: string
  /** Aliases; `handle` is a shortcut for `['at://' + handle]`. */
  readonly alsoKnownAs?: readonly string[]
  readonly handle?: string
  /** Services by id; `pds` is a shortcut for the `atproto_pds` service. */
  readonly services?: Readonly<Record<string, PlcService>>
  readonly pds?: string
  /** One of the rotation keys' keypairs. */
  readonly signer: PlcSigner
}

/** A signed operation with its CID and DID. */
export interface BuiltOperation<T extends SignedOperation = SignedOperation> {
  readonly operation: T
  readonly cid: string
  readonly did: string
}

function fieldsOf(
  input: Omit<GenesisInput, 'signer' | 'rotationKeys'>,
): Omit<UnsignedPlcOperation, 'type' | 'prev' | 'rotationKeys'> {
  const verificationMethods = { ...(input.verificationMethods ?? {}) }
  if (input.signingKey !== undefined) verificationMethods[ATPROTO_SIGNING_KEY] = input.signingKey
  const alsoKnownAs = [...(input.alsoKnownAs ?? [])]
  if (input.handle !== undefined) alsoKnownAs.unshift(handleToAka(input.handle))
  const services = { ...(input.services ?? {}) }
  if (input.pds !== undefined)
    services[ATPROTO_PDS_SERVICE] = { type: ATPROTO_PDS_TYPE, endpoint: ensureHttpUrl(input.pds) }
  return { verificationMethods, alsoKnownAs, services }
}

/**
 * Builds and signs a genesis `plc_operation` and computes the DID it defines.
 * @throws {SignerNotAllowedError} when the signer is not one of `rotationKeys`.
 * @example const { did, operation } = await createGenesis({ rotationKeys: [k.did()], handle: 'a.test', pds: 'https://pds.test', signingKey: s.did(), signer: k })
 */
export async function createGenesis(input: GenesisInput): Promise<BuiltOperation<PlcOperation>> {
  if (!input.rotationKeys.includes(input.signer.did()))
    throw new SignerNotAllowedError(input.signer.did(), 'not in the genesis rotationKeys')
  const unsigned: UnsignedPlcOperation = {
    type: 'plc_operation',
    rotationKeys: [...input.rotationKeys],
    ...fieldsOf(input),
    prev: null,
  }
  const operation = await signOperation(unsigned, input.signer)
  const bytes = encodeOperation(operation)
  return { operation, cid: operationCid(operation), did: didForGenesisBytes(bytes) }
}

/** What an update changes; fields left out keep their current value. */
export interface UpdateChanges {
  readonly rotationKeys?: readonly string[]
  readonly verificationMethods?: Readonly<Record<string, string>>
  /** Sets the `atproto` verification method. */
  readonly signingKey?: string
  readonly alsoKnownAs?: readonly string[]
  /** Replaces the first `at://` alias (or adds one in front). */
  readonly handle?: string
  readonly services?: Readonly<Record<string, PlcService>>
  /** Sets the `atproto_pds` service endpoint. */
  readonly pds?: string
}

/**
 * The unsigned update that applies `changes` on top of `prev` (the operation it follows).
 * @throws {TypeError} when `prev` is a tombstone.
 */
export function buildUpdate(prev: SignedOperation, changes: UpdateChanges): UnsignedPlcOperation {
  if (prev.type === 'plc_tombstone') throw new TypeError('buildUpdate: cannot follow a tombstone')
  const base = normalizeOperation(prev)
  const verificationMethods = { ...(changes.verificationMethods ?? base.verificationMethods) }
  if (changes.signingKey !== undefined) verificationMethods[ATPROTO_SIGNING_KEY] = changes.signingKey
  let alsoKnownAs = [...(changes.alsoKnownAs ?? base.alsoKnownAs)]
  if (changes.handle !== undefined) {
    const aka = handleToAka(changes.handle)
    const at = alsoKnownAs.findIndex((a) => a.startsWith('at://'))
    alsoKnownAs = at < 0 ? [aka, ...alsoKnownAs] : alsoKnownAs.map((a, i) => (i === at ? aka : a))
  }
  const services = { ...(changes.services ?? base.services) }
  if (changes.pds !== undefined)
    services[ATPROTO_PDS_SERVICE] = { type: ATPROTO_PDS_TYPE, endpoint: ensureHttpUrl(changes.pds) }
  return {
    type: 'plc_operation',
    rotationKeys: [...(changes.rotationKeys ?? base.rotationKeys)],
    verificationMethods,
    alsoKnownAs,
    services,
    prev: operationCid(prev),
  }
}

/**
 * Builds and signs an update following `prev`. The signer must be one of `prev`'s rotation keys.
 * @throws {SignerNotAllowedError} otherwise.
 * @example const op = await createUpdate(last, { pds: 'https://new.pds' }, rotationKey)
 */
export async function createUpdate(
  prev: SignedOperation,
  changes: UpdateChanges,
  signer: PlcSigner,
): Promise<PlcOperation> {
  assertSigner(prev, signer)
  return signOperation(buildUpdate(prev, changes), signer)
}

/**
 * Builds and signs a tombstone following `prev`.
 * @throws {SignerNotAllowedError} when the signer is not one of `prev`'s rotation keys.
 */
export async function createTombstone(prev: SignedOperation, signer: PlcSigner): Promise<PlcTombstone> {
  assertSigner(prev, signer)
  return signOperation({ type: 'plc_tombstone', prev: operationCid(prev) }, signer)
}

function assertSigner(prev: SignedOperation, signer: PlcSigner): void {
  if (prev.type === 'plc_tombstone') throw new TypeError('cannot follow a tombstone')
  const keys = normalizeOperation(prev).rotationKeys
  if (!keys.includes(signer.did()))
    throw new SignerNotAllowedError(signer.did(), 'not in the rotationKeys of prev')
}
