// Shared test set-up: a fixed pool of keypairs (seeded private keys, so runs repeat) and log
// builders that produce audit entries with chosen timestamps.
import { P256Keypair, Secp256k1Keypair, sha256 } from '@rsky/crypto'
import {
  type AuditEntry,
  type BuiltOperation,
  createGenesis,
  createTombstone,
  createUpdate,
  operationCid,
  type PlcOperation,
  type PlcSigner,
  type SignedOperation,
  type UpdateChanges,
} from '../src/index.ts'

const seeded = (label: string): Uint8Array => sha256(new TextEncoder().encode(`rsky-plc-test ${label}`))

/** Six secp256k1 and four P-256 keypairs, the same on every run. */
export const KEYS: readonly (Secp256k1Keypair | P256Keypair)[] = [
  ...Array.from({ length: 6 }, (_, i) => Secp256k1Keypair.import(seeded(`k256-${i}`))),
  ...Array.from({ length: 4 }, (_, i) => P256Keypair.import(seeded(`p256-${i}`))),
]

export const HOUR: number = 60 * 60 * 1000
export const T0: number = Date.parse('2024-01-01T00:00:00.000Z')

/** An audit entry for `op` at time `at` (ms). */
export function entry(did: string, op: SignedOperation, at: number, nullified = false): AuditEntry {
  let cid: string
  try {
    cid = operationCid(op)
  } catch {
    cid = 'not-encodable' // hostile tests hand in operations that are not even DAG-CBOR
  }
  return { did, operation: op, cid, nullified, createdAt: new Date(at).toISOString() }
}

/** A genesis with rotation keys KEYS[0..2] (0 highest), signing key KEYS[9], signed by KEYS[1]. */
export async function genesisOf(
  signer: PlcSigner = KEYS[1]!,
  handle = 'alice.test',
): Promise<BuiltOperation<PlcOperation>> {
  return createGenesis({
    rotationKeys: [KEYS[0]!.did(), KEYS[1]!.did(), KEYS[2]!.did()],
    signingKey: KEYS[9]!.did(),
    handle,
    pds: 'https://pds.example.test',
    signer,
  })
}

/** A genesis and `n` handle updates signed by KEYS[2], as audit entries an hour apart. */
export async function linearLog(
  n: number,
): Promise<{ did: string; ops: SignedOperation[]; log: AuditEntry[] }> {
  const g = await genesisOf()
  const ops: SignedOperation[] = [g.operation]
  for (let i = 0; i < n; i++)
    ops.push(await createUpdate(ops[ops.length - 1]!, { handle: `alice${i}.test` }, KEYS[2]!))
  return { did: g.did, ops, log: ops.map((op, i) => entry(g.did, op, T0 + i * HOUR)) }
}

export { createTombstone, createUpdate, type UpdateChanges }
