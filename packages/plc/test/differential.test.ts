// Differential tests against @did-plc/lib (the reference the directory runs): the same CIDs, DIDs,
// verdicts and documents on fast-check generated operations and logs.
import * as ref from '@did-plc/lib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  applyOperation,
  buildUpdate,
  createGenesis,
  didForGenesis,
  formatDidDocument,
  type HistoryEntry,
  operationCid,
  PlcRuleError,
  type SignedOperation,
  signOperation,
  validateOperationLog,
} from '../src/index.ts'
import { HOUR, KEYS } from './fixtures.ts'

type Step =
  | { kind: 'handle'; n: number; signer: number; rogue: boolean }
  | { kind: 'pds'; n: number; signer: number; rogue: boolean }
  | { kind: 'signing'; key: number; signer: number; rogue: boolean }
  | { kind: 'rotate'; keys: number[]; signer: number; rogue: boolean }
  | { kind: 'tombstone'; signer: number; rogue: boolean }

const keySet = fc.uniqueArray(fc.integer({ min: 0, max: KEYS.length - 1 }), { minLength: 1, maxLength: 5 })
const signer = fc.nat({ max: 20 })
// one step in seven is signed by a key with no authority
const rogue = fc.integer({ min: 0, max: 6 }).map((n) => n === 0)
const arbStep: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('handle' as const), n: fc.nat({ max: 999 }), signer, rogue }),
  fc.record({ kind: fc.constant('pds' as const), n: fc.nat({ max: 999 }), signer, rogue }),
  fc.record({ kind: fc.constant('signing' as const), key: fc.nat({ max: KEYS.length - 1 }), signer, rogue }),
  fc.record({ kind: fc.constant('rotate' as const), keys: keySet, signer, rogue }),
  fc.record({ kind: fc.constant('tombstone' as const), signer, rogue }),
)
const arbLog = fc.record({
  genesisKeys: keySet,
  genesisSigner: signer,
  // one genesis in four in the deprecated `create` format
  legacy: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  steps: fc.array(arbStep, { maxLength: 6 }),
  mutation: fc.constantFrom('none', 'none', 'none', 'swap', 'drop', 'dup'),
  at: fc.nat(),
})

type LogModel = typeof arbLog extends fc.Arbitrary<infer T> ? T : never

const didOf = (k: (typeof KEYS)[number]) => k.did()

function pickSigner(rotation: readonly string[], step: { signer: number; rogue: boolean }) {
  if (step.rogue) {
    const outsiders = KEYS.filter((k) => !rotation.includes(k.did()))
    if (outsiders.length > 0) return outsiders[step.signer % outsiders.length]!
  }
  const did = rotation[step.signer % rotation.length]!
  return KEYS.find((k) => k.did() === did)!
}

/** Builds the log a generated model describes (rogue steps are signed by a key with no authority). */
async function buildLog(model: LogModel) {
  const rotationKeys = model.genesisKeys.map((i) => didOf(KEYS[i]!))
  const g = await createGenesis({
    rotationKeys,
    signingKey: KEYS[9]!.did(),
    handle: 'gen.test',
    pds: 'https://pds.gen.test',
    signer: pickSigner(rotationKeys, { signer: model.genesisSigner, rogue: false }),
  })
  let first: SignedOperation = g.operation
  let did = g.did
  if (model.legacy) {
    // distinct keys: a create with signingKey = recoveryKey normalizes to duplicate rotation keys,
    // which the spec forbids (and we refuse) but @did-plc/lib 0.0.4 lets through
    const recovery = rotationKeys[0]!
    const signing = rotationKeys[1] ?? KEYS.find((k) => k.did() !== recovery)!.did()
    first = await signOperation(
      {
        type: 'create',
        signingKey: signing,
        recoveryKey: recovery,
        handle: 'legacy.test',
        service: 'pds.legacy.test',
        prev: null,
      },
      pickSigner([recovery, signing], { signer: model.genesisSigner, rogue: false }),
    )
    did = didForGenesis(first)
  }
  const ops: SignedOperation[] = [first]
  let keys: readonly string[] = first.type === 'create' ? [first.recoveryKey, first.signingKey] : rotationKeys
  for (const step of model.steps) {
    const prev = ops[ops.length - 1]!
    if (prev.type === 'plc_tombstone') break
    const by = pickSigner(keys, step)
    if (step.kind === 'tombstone') {
      ops.push(await signOperation({ type: 'plc_tombstone', prev: operationCid(prev) }, by))
      continue
    }
    const changes =
      step.kind === 'handle'
        ? { handle: `h${step.n}.test` }
        : step.kind === 'pds'
          ? { pds: `https://pds${step.n}.test` }
          : step.kind === 'signing'
            ? { signingKey: KEYS[step.key]!.did() }
            : { rotationKeys: step.keys.map((i) => didOf(KEYS[i]!)) }
    const op = await signOperation(buildUpdate(prev, changes), by)
    ops.push(op)
    if (!step.rogue) keys = op.rotationKeys
  }
  const at = model.at % ops.length
  if (model.mutation === 'swap' && ops.length > 1) {
    const j = (at + 1) % ops.length
    ;[ops[at], ops[j]] = [ops[j]!, ops[at]!]
  } else if (model.mutation === 'drop' && ops.length > 1) ops.splice(at, 1)
  else if (model.mutation === 'dup') ops.splice(at, 0, ops[at]!)
  return { did, ops }
}

async function refVerdict(did: string, ops: SignedOperation[]) {
  try {
    return { valid: true as const, data: await ref.validateOperationLog(did, ops as never) }
  } catch (err) {
    if (!ref.PlcError.is(err)) throw err
    return { valid: false as const }
  }
}

describe('differential against @did-plc/lib', () => {
  it('same CIDs, DIDs, verdicts, state and documents on generated logs', async () => {
    let valid = 0
    let invalid = 0
    let legacy = 0
    await fc.assert(
      fc.asyncProperty(arbLog, async (model) => {
        const { did, ops } = await buildLog(model)
        for (const op of ops) {
          const { cid } = await ref.getLastOpWithCid([op as never])
          expect(operationCid(op)).toBe(cid.toString())
        }
        if (ops[0]!.type !== 'plc_tombstone')
          expect(didForGenesis(ops[0]!)).toBe(await ref.didForCreateOp(ops[0] as never))
        if (ops[0]!.type === 'create') legacy++
        const theirs = await refVerdict(did, ops)
        const ours = validateOperationLog(did, ops)
        expect(ours.valid).toBe(theirs.valid)
        if (ours.valid && theirs.valid) {
          valid++
          expect(ours.state.data).toEqual(theirs.data)
          if (theirs.data !== null) {
            expect(formatDidDocument(ours.state.data!, { keyFormat: 'legacy' })).toEqual(
              ref.formatDidDoc(theirs.data),
            )
          }
        } else invalid++
      }),
      { numRuns: 60, seed: 15 },
    )
    // the generator must exercise both verdicts
    expect(valid).toBeGreaterThan(5)
    expect(invalid).toBeGreaterThan(5)
    expect(legacy).toBeGreaterThan(3)
  })

  it('same verdict as the directory rule (assureValidNextOp) on forks, key priorities and recovery windows', async () => {
    let accepted = 0
    let refused = 0
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          length: fc.integer({ min: 1, max: 4 }),
          signers: fc.array(fc.nat({ max: 2 }), { minLength: 4, maxLength: 4 }),
          forkAt: fc.nat(),
          forkSigner: fc.nat({ max: KEYS.length - 1 }),
          // hours before now of the first operation after the fork point; never within a minute of 72h
          ageHours: fc.oneof(
            fc.double({ min: 0.01, max: 71.9, noNaN: true }),
            fc.double({ min: 72.1, max: 200, noNaN: true }),
          ),
        }),
        async (m) => {
          const g = await createGenesis({
            rotationKeys: [KEYS[0]!.did(), KEYS[6]!.did(), KEYS[2]!.did()],
            signingKey: KEYS[9]!.did(),
            handle: 'fork.test',
            pds: 'https://pds.fork.test',
            signer: KEYS[0]!,
          })
          const byIndex = [KEYS[0]!, KEYS[6]!, KEYS[2]!]
          const ops: SignedOperation[] = [g.operation]
          for (let i = 1; i < m.length; i++)
            ops.push(
              await signOperation(
                buildUpdate(ops[i - 1]!, { handle: `f${i}.test` }),
                byIndex[m.signers[i]!]!,
              ),
            )
          const forkAt = m.forkAt % ops.length
          const now = Date.now()
          const times = ops.map((_, i) => (i <= forkAt ? now - 300 * HOUR + i : now - m.ageHours * HOUR + i))
          const proposed = await signOperation(
            buildUpdate(ops[forkAt]!, { handle: 'recovered.test' }),
            KEYS[m.forkSigner]!,
          )

          const indexed = await Promise.all(
            ops.map(async (op, i) => ({
              did: g.did,
              operation: op,
              cid: (await ref.getLastOpWithCid([op as never])).cid,
              nullified: false,
              createdAt: new Date(times[i]!),
            })),
          )
          let theirs: boolean
          try {
            await ref.assureValidNextOp(g.did, indexed as never, proposed as never)
            theirs = true
          } catch (err) {
            if (!ref.PlcError.is(err)) throw err
            theirs = false
          }
          let history: readonly HistoryEntry[] = []
          ops.forEach((op, i) => {
            history = applyOperation(g.did, history, op, { createdAt: times[i]! }).history
          })
          let ours: boolean
          try {
            applyOperation(g.did, history, proposed, { createdAt: Date.now() })
            ours = true
          } catch (err) {
            if (!(err instanceof PlcRuleError)) throw err
            ours = false
          }
          expect(ours).toBe(theirs)
          if (ours) accepted++
          else refused++
        },
      ),
      { numRuns: 60, seed: 72 },
    )
    expect(accepted).toBeGreaterThan(5)
    expect(refused).toBeGreaterThan(5)
  })
})
