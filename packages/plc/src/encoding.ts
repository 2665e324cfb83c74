// The bytes an operation is signed and hashed over: canonical DAG-CBOR of its JSON fields.
import { encodeBytes, sha256 } from '@rsky/crypto'
import { cidForCbor, encode, type LexValue } from '@rsky/dag-cbor'
import type { SignedOperation, UnsignedOperation } from './types.ts'

/** Canonical DAG-CBOR of an operation, exactly as given (signed or not). */
export function encodeOperation(op: SignedOperation | UnsignedOperation): Uint8Array {
  return encode(op as unknown as LexValue)
}

/** The bytes a signature covers: the operation without its `sig` field. */
export function signingBytes(op: SignedOperation | UnsignedOperation): Uint8Array {
  if (!('sig' in op)) return encodeOperation(op)
  const { sig: _sig, ...unsigned } = op
  return encode(unsigned as unknown as LexValue)
}

/**
 * CID string (CIDv1, dag-cbor, sha-256, base32) of a signed operation: what the next operation's
 * `prev` and the audit log's `cid` hold.
 * @example operationCid(genesis) // 'bafyrei…'
 */
export function operationCid(op: SignedOperation): string {
  return cidForCbor(encodeOperation(op)).toString()
}

/** CID string of already-encoded operation bytes. */
export function cidOfBytes(bytes: Uint8Array): string {
  return cidForCbor(bytes).toString()
}

/** Length of a did:plc identifier (characters after `did:plc:`). */
export const PLC_ID_LENGTH = 24

/** The DID a genesis operation's encoded bytes define: `did:plc:` + base32(sha256(bytes))[0..24]. */
export function didForGenesisBytes(bytes: Uint8Array): string {
  return `did:plc:${encodeBytes(sha256(bytes), 'base32').slice(0, PLC_ID_LENGTH)}`
}

/**
 * The DID a signed genesis operation (`plc_operation` with null prev, or legacy `create`) defines.
 * @example didForGenesis(signedGenesis) // 'did:plc:…' (24 base32 characters)
 */
export function didForGenesis(op: SignedOperation): string {
  return didForGenesisBytes(encodeOperation(op))
}
