// did:plc audit-log validation on real-sized logs: a genesis, handle changes, a PDS migration and a
// key rotation (8 operations), with secp256k1 or P-256 rotation keys. Ours replays the audit log
// with every directory rule (CIDs, prev links, signatures, fork rules, flags); @did-plc/lib
// validates the same operations as a chain (validateOperationLog, what the directory runs to
// serve a document). One more row: checking one proposed update against the history (the
// directory's acceptance rule, assureValidNextOp).
// @rsky/plc is imported by path: the benchmarks package does not list it.
import * as ref from '@did-plc/lib'
import { P256Keypair, Secp256k1Keypair, sha256 } from '@rsky/crypto'
import {
  type AuditEntry,
  applyOperation,
  createGenesis,
  createUpdate,
  type HistoryEntry,
  operationCid,
  type SignedOperation,
  validateAuditLog,
  validateOperationLog,
} from '../../../packages/plc/src/index.ts'
import type { BenchCase, BenchSuite } from '../harness.ts'

type Curve = 'k256' | 'p256'
const KP = { k256: Secp256k1Keypair, p256: P256Keypair }
const LABEL = { k256: 'secp256k1', p256: 'P-256' }
const HOUR = 3_600_000

const key = (curve: Curve, label: string) =>
  KP[curve].import(sha256(new TextEncoder().encode(`rsky-plc-bench ${curve} ${label}`)))

/** A realistic 8-operation history: what a migrated, renamed account's log looks like. */
async function realLog(curve: Curve) {
  const pds1 = key(curve, 'pds1')
  const pds2 = key(curve, 'pds2')
  const recovery = key(curve, 'recovery')
  const signing = Secp256k1Keypair.import(sha256(new TextEncoder().encode('signing')))
  const g = await createGenesis({
    rotationKeys: [recovery.did(), pds1.did()],
    signingKey: signing.did(),
    handle: 'user.bsky.social',
    pds: 'https://pds1.example.com',
    signer: pds1,
  })
  const ops: SignedOperation[] = [g.operation]
  const push = async (changes: Parameters<typeof createUpdate>[1], signer: typeof pds1) =>
    ops.push(await createUpdate(ops[ops.length - 1]!, changes, signer))
  await push({ handle: 'user.example.com' }, pds1)
  await push({ handle: 'user2.example.com' }, pds1)
  await push({ rotationKeys: [recovery.did(), pds1.did(), pds2.did()] }, pds1)
  await push({ pds: 'https://pds2.example.com', signingKey: key('k256', 'signing2').did() }, pds2)
  await push({ rotationKeys: [recovery.did(), pds2.did()] }, pds2)
  await push({ handle: 'user.example.org' }, pds2)
  await push({ handle: 'user.example.net' }, recovery)
  const t0 = Date.parse('2024-01-01T00:00:00.000Z')
  const log: AuditEntry[] = ops.map((op, i) => ({
    did: g.did,
    operation: op,
    cid: operationCid(op),
    nullified: false,
    createdAt: new Date(t0 + i * 24 * HOUR).toISOString(),
  }))
  return {
    did: g.did,
    ops,
    log,
    next: await createUpdate(ops[ops.length - 1]!, { handle: 'next.example.net' }, pds2),
  }
}

function ok(valid: boolean): void {
  if (!valid) throw new Error('log did not validate')
}

async function curveCases(curve: Curve): Promise<BenchCase[]> {
  const { did, ops, log, next } = await realLog(curve)
  // JSON round trip: both sides read what a directory would serve
  const json = JSON.stringify(log)
  const opsJson = JSON.stringify(ops)
  let history: HistoryEntry[] = []
  for (const e of log)
    history = [...applyOperation(did, history, e.operation, { createdAt: Date.parse(e.createdAt) }).history]
  const indexed = await Promise.all(
    log.map(async (e) => ({
      did,
      operation: e.operation,
      cid: (await ref.getLastOpWithCid([e.operation as never])).cid,
      nullified: false,
      createdAt: new Date(Date.now() - HOUR),
    })),
  )
  return [
    {
      name: `audit log of ${ops.length} operations, ${LABEL[curve]} rotation keys (JSON text in)`,
      unit: 'op',
      note: 'one call = parse the JSON and validate the whole log; ours checks every audit rule (entry CIDs, order, fork windows, nullified flags), @did-plc/lib checks the operation chain (signatures, prev links, genesis hash); did:keys are imported once and cached on both sides that cache (ours does; PDS rotation keys repeat across accounts)',
      impls: {
        '@rsky/plc validateAuditLog': () => () => ok(validateAuditLog(did, JSON.parse(json)).valid),
        '@rsky/plc validateOperationLog': () => () =>
          ok(validateOperationLog(did, JSON.parse(opsJson)).valid),
        '@did-plc/lib validateOperationLog': () => async () => {
          await ref.validateOperationLog(did, JSON.parse(opsJson))
        },
      },
    },
    {
      name: `accept one update against a ${ops.length}-operation history, ${LABEL[curve]}`,
      unit: 'op',
      note: "the directory's acceptance rule for a proposed operation: prev lookup, signature by a rotation key of the head",
      impls: {
        '@rsky/plc applyOperation': () => () => applyOperation(did, history, next, { createdAt: Date.now() }),
        '@did-plc/lib assureValidNextOp': () => async () => {
          await ref.assureValidNextOp(did, indexed as never, next as never)
        },
      },
    },
  ]
}

const suite: BenchSuite = {
  name: 'plc',
  description:
    'did:plc audit-log validation and the acceptance rule for one operation, against @did-plc/lib (the reference the PLC directory runs).',
  async cases() {
    return [...(await curveCases('k256')), ...(await curveCases('p256'))]
  },
}

export default suite
