// Hostile logs: every way a log or an operation can be wrong gets a named rule with the index of
// the offending entry, never a crash and never a partial success.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromBase64UrlStrict } from '../src/base64url.ts'
import {
  type AuditEntry,
  buildUpdate,
  operationCid,
  type PlcOperation,
  type PlcRule,
  type SignedOperation,
  signOperation,
  toBase64Url,
  validateAuditLog,
  validateOperation,
} from '../src/index.ts'
import { createTombstone, createUpdate, entry, genesisOf, HOUR, KEYS, linearLog, T0 } from './fixtures.ts'

const ORDER = {
  ES256K: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
  ES256: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
}
const toBig = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`)
const fromBig = (n: bigint, len = 32) =>
  Uint8Array.from(Buffer.from(n.toString(16).padStart(len * 2, '0'), 'hex'))

/** The same signature with s replaced by n - s (valid ECDSA, but high-S). */
function highS(sig: string, alg: 'ES256K' | 'ES256'): string {
  const bytes = fromBase64UrlStrict(sig)!
  const out = bytes.slice()
  out.set(fromBig(ORDER[alg] - toBig(bytes.subarray(32))), 32)
  return toBase64Url(out)
}

/** The same signature DER-encoded. */
function der(sig: string): string {
  const bytes = fromBase64UrlStrict(sig)!
  const int = (b: Uint8Array) => {
    let i = 0
    while (i < b.length - 1 && b[i] === 0) i++
    const v = b.subarray(i)
    return v[0]! & 0x80 ? [0x02, v.length + 1, 0, ...v] : [0x02, v.length, ...v]
  }
  const body = [...int(bytes.subarray(0, 32)), ...int(bytes.subarray(32))]
  return toBase64Url(Uint8Array.from([0x30, body.length, ...body]))
}

const withSig = (op: SignedOperation, sig: string) => ({ ...op, sig }) as SignedOperation

/** The log with op `i` replaced (its entry re-hashed; later entries keep their prev). */
function replaceOp(did: string, log: AuditEntry[], i: number, op: SignedOperation): AuditEntry[] {
  return log.map((e, j) => (j === i ? entry(did, op, Date.parse(e.createdAt)) : e))
}

function expectRule(result: ReturnType<typeof validateAuditLog>, rule: PlcRule, index: number) {
  expect(result.valid, result.valid ? 'log accepted' : '').toBe(false)
  if (result.valid) return
  expect({ code: result.error.code, index: result.error.index }).toEqual({ code: rule, index })
  expect(result.error.name).toBe('PlcRuleError')
}

describe('audit log: hostile tables', async () => {
  const { did, ops, log } = await linearLog(3)
  const op1 = ops[1] as PlcOperation

  it('the untouched log is valid and ends at the last handle', () => {
    const r = validateAuditLog(did, log)
    expect(r.valid).toBe(true)
    if (!r.valid) return
    expect(r.state.data?.alsoKnownAs).toEqual(['at://alice2.test'])
    expect(r.state.history.map((h) => h.cid)).toEqual(log.map((e) => e.cid))
    expect(r.state.document?.service).toEqual([
      { id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: 'https://pds.example.test' },
    ])
  })

  const cases: [string, () => unknown, PlcRule, number][] = [
    ['empty log', () => [], 'LOG_EMPTY', 0],
    ['not an array', () => ({ 0: log[0] }), 'ENTRY_MALFORMED', 0],
    ['entry not an object', () => [log[0], 'x'], 'ENTRY_MALFORMED', 1],
    ['entry without nullified', () => [log[0], { ...log[1], nullified: undefined }], 'ENTRY_MALFORMED', 1],
    [
      'reordered operations, times kept',
      () => log.map((e, i) => entry(did, ops[[0, 2, 1, 3][i]!]!, Date.parse(e.createdAt))),
      'PREV_UNKNOWN',
      1,
    ],
    [
      'time goes back',
      () => [log[0], { ...log[1], createdAt: log[3]!.createdAt }, log[2], log[3]],
      'ENTRY_TIME',
      2,
    ],
    ['truncated: genesis missing', () => log.slice(1), 'GENESIS_INVALID', 0],
    ['truncated: middle missing', () => [log[0], log[2], log[3]], 'PREV_UNKNOWN', 1],
    ['duplicated entry', () => [log[0], log[1], log[1]], 'ENTRY_DUPLICATE', 2],
    [
      'entry for another DID',
      () => [log[0], { ...log[1], did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' }],
      'ENTRY_DID',
      1,
    ],
    ['entry with a wrong cid', () => [log[0], { ...log[1], cid: log[0]!.cid }], 'ENTRY_CID', 1],
    [
      'entry with an unparseable time',
      () => [log[0], { ...log[1], createdAt: 'yesterday' }],
      'ENTRY_TIME',
      1,
    ],
    ['entry claims nullified', () => [log[0], { ...log[1], nullified: true }], 'ENTRY_NULLIFIED', 1],
    ['sig with padding', () => replaceOp(did, log, 1, withSig(op1, `${op1.sig}==`)), 'SIGNATURE_ENCODING', 1],
    [
      'sig in standard base64',
      () => replaceOp(did, log, 1, withSig(op1, `+${op1.sig.slice(1)}`)),
      'SIGNATURE_ENCODING',
      1,
    ],
    [
      'sig with stray trailing bits',
      () =>
        replaceOp(
          did,
          log,
          1,
          withSig(op1, op1.sig.slice(0, -1) + String.fromCharCode(op1.sig.charCodeAt(85) ^ 1)),
        ),
      'SIGNATURE_ENCODING',
      1,
    ],
    ['sig DER-encoded', () => replaceOp(did, log, 1, withSig(op1, der(op1.sig))), 'SIGNATURE_ENCODING', 1],
    [
      'sig 63 bytes',
      () => replaceOp(did, log, 1, withSig(op1, toBase64Url(fromBase64UrlStrict(op1.sig)!.subarray(1)))),
      'SIGNATURE_ENCODING',
      1,
    ],
    ['sig empty', () => replaceOp(did, log, 1, withSig(op1, '')), 'SIGNATURE_ENCODING', 1],
    [
      'sig high-S',
      () => replaceOp(did, log, 1, withSig(op1, highS(op1.sig, 'ES256K'))),
      'SIGNATURE_HIGH_S',
      1,
    ],
    [
      'sig of another operation',
      () => replaceOp(did, log, 1, withSig(op1, ops[2]!.sig)),
      'SIGNATURE_INVALID',
      1,
    ],
    [
      'operation with an unknown field',
      () => replaceOp(did, log, 1, { ...op1, extra: 1 } as never),
      'OPERATION_MALFORMED',
      1,
    ],
    [
      'operation with __proto__',
      () => replaceOp(did, log, 1, JSON.parse(`{"__proto__":{"x":1},${JSON.stringify(op1).slice(1)}`)),
      'OPERATION_MALFORMED',
      1,
    ],
    [
      'operation too large',
      () => replaceOp(did, log, 1, { ...op1, alsoKnownAs: [`at://${'a'.repeat(7600)}.test`] }),
      'OPERATION_MALFORMED',
      1,
    ],
    [
      'deeply nested alias',
      () =>
        replaceOp(did, log, 1, {
          ...op1,
          alsoKnownAs: [JSON.parse(`${'['.repeat(5000)}${']'.repeat(5000)}`)],
        }),
      'OPERATION_MALFORMED',
      1,
    ],
    [
      'six rotation keys',
      () => replaceOp(did, log, 1, { ...op1, rotationKeys: KEYS.slice(0, 6).map((k) => k.did()) }),
      'OPERATION_MALFORMED',
      1,
    ],
    [
      'duplicate rotation keys',
      () => replaceOp(did, log, 1, { ...op1, rotationKeys: [KEYS[0]!.did(), KEYS[0]!.did()] }),
      'OPERATION_MALFORMED',
      1,
    ],
    [
      'prev not a CID',
      () => replaceOp(did, log, 1, { ...op1, prev: 'bafyreinotacid' }),
      'OPERATION_MALFORMED',
      1,
    ],
    [
      'a second genesis',
      () => [
        log[0],
        entry(
          did,
          ops[0]!.type === 'plc_operation'
            ? { ...(ops[0] as PlcOperation), alsoKnownAs: ['at://x.test'] }
            : ops[0]!,
          T0 + HOUR,
        ),
      ],
      'PREV_MISSING',
      1,
    ],
  ]
  it.each(cases)('%s', (_name, make, rule, index) => {
    expectRule(validateAuditLog(did, make()), rule, index)
  })

  it('a genesis that does not hash to the DID', () => {
    expectRule(
      validateAuditLog(
        'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa',
        log.map((e) => ({ ...e, did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' })),
      ),
      'GENESIS_HASH',
      0,
    )
  })

  it('caps the number of entries', () => {
    expectRule(validateAuditLog(did, log, { maxEntries: 3 }), 'LOG_TOO_LONG', 3)
  })

  it('a caller passing a non-plc DID gets a TypeError', () => {
    expect(() => validateAuditLog('did:web:example.com', log)).toThrow(TypeError)
  })

  it('never throws on arbitrary JSON logs or entries', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.array(fc.jsonValue()),
          fc.array(
            fc.record({
              did: fc.constant(did),
              operation: fc.jsonValue(),
              cid: fc.string(),
              nullified: fc.boolean(),
              createdAt: fc.string(),
            }),
          ),
        ),
        (value) => {
          expect(validateAuditLog(did, value).valid).toBe(false)
        },
      ),
      { numRuns: 200, seed: 1 },
    )
  })

  it('never accepts a mutated operation field', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(op1)), fc.jsonValue(), (field, value) => {
        fc.pre(JSON.stringify(value) !== JSON.stringify((op1 as unknown as Record<string, unknown>)[field]))
        const mutated = replaceOp(did, log, 1, { ...op1, [field]: value } as never)
        expect(validateAuditLog(did, mutated).valid).toBe(false)
      }),
      { numRuns: 150, seed: 2 },
    )
  })
})

describe('audit log: rotation, recovery and tombstones', async () => {
  const g = await genesisOf()
  // rotation keys [K0, K1, K2]; K0 outranks K1 outranks K2
  const demote = await createUpdate(g.operation, { rotationKeys: [KEYS[0]!.did(), KEYS[1]!.did()] }, KEYS[1]!)
  const attack = await createUpdate(
    g.operation,
    { handle: 'mallory.test', rotationKeys: [KEYS[2]!.did()] },
    KEYS[2]!,
  )
  const recover = await createUpdate(
    g.operation,
    { handle: 'alice.test', pds: 'https://safe.test' },
    KEYS[0]!,
  )
  const sameKey = await createUpdate(g.operation, { handle: 'again.test' }, KEYS[2]!)
  const did = g.did

  it('a demoted key can no longer sign', async () => {
    const late = await signOperation(buildUpdate(demote, { handle: 'late.test' }), KEYS[2]!)
    expectRule(
      validateAuditLog(did, [
        entry(did, g.operation, T0),
        entry(did, demote, T0 + HOUR),
        entry(did, late, T0 + 2 * HOUR),
      ]),
      'SIGNATURE_INVALID',
      2,
    )
  })

  it('a higher-priority key nullifies a fork within 72 hours; flags and state follow', () => {
    const log = [
      entry(did, g.operation, T0),
      entry(did, attack, T0 + HOUR, true),
      entry(did, recover, T0 + 20 * HOUR),
    ]
    const r = validateAuditLog(did, log)
    expect(r.valid).toBe(true)
    if (!r.valid) return
    expect(r.state.nullified).toEqual([operationCid(attack)])
    expect(r.state.data?.services['atproto_pds']?.endpoint).toBe('https://safe.test')
    expect(r.state.history.map((h) => h.cid)).toEqual([operationCid(g.operation), operationCid(recover)])
    // the same log with the flag missing is a directory lie
    expectRule(
      validateAuditLog(did, [log[0], { ...log[1]!, nullified: false }, log[2]]),
      'ENTRY_NULLIFIED',
      1,
    )
  })

  it('exactly 72 hours is still in the window; a millisecond later is not', () => {
    const at = (ms: number) => [
      entry(did, g.operation, T0),
      entry(did, attack, T0 + HOUR, true),
      entry(did, recover, T0 + HOUR + ms),
    ]
    expect(validateAuditLog(did, at(72 * HOUR)).valid).toBe(true)
    expectRule(validateAuditLog(did, at(72 * HOUR + 1)), 'NULLIFICATION_LATE', 2)
  })

  it('the same key or a lower-priority key cannot nullify', () => {
    expectRule(
      validateAuditLog(did, [
        entry(did, g.operation, T0),
        entry(did, attack, T0 + HOUR, true),
        entry(did, sameKey, T0 + 2 * HOUR),
      ]),
      'NULLIFICATION_KEY',
      2,
    )
    // K1 signed the first operation after the genesis; K2 (lower) tries to fork from the genesis
    const byK1 = [
      entry(did, g.operation, T0),
      entry(did, demote, T0 + HOUR, true),
      entry(did, sameKey, T0 + 2 * HOUR),
    ]
    expectRule(validateAuditLog(did, byK1), 'NULLIFICATION_KEY', 2)
  })

  it('nothing after a tombstone; a tombstone can itself be nullified', async () => {
    const tomb = await createTombstone(g.operation, KEYS[2]!)
    const after = await signOperation(
      { ...buildUpdate(g.operation, { handle: 'zombie.test' }), prev: operationCid(tomb) },
      KEYS[0]!,
    )
    const ended = validateAuditLog(did, [entry(did, g.operation, T0), entry(did, tomb, T0 + HOUR)])
    expect(
      ended.valid && ended.state.tombstoned && ended.state.data === null && ended.state.document === null,
    ).toBe(true)
    expectRule(
      validateAuditLog(did, [
        entry(did, g.operation, T0),
        entry(did, tomb, T0 + HOUR),
        entry(did, after, T0 + 2 * HOUR),
      ]),
      'AFTER_TOMBSTONE',
      2,
    )
    const undone = validateAuditLog(did, [
      entry(did, g.operation, T0),
      entry(did, tomb, T0 + HOUR, true),
      entry(did, recover, T0 + 2 * HOUR),
    ])
    expect(undone.valid && !undone.state.tombstoned).toBe(true)
  })

  it('a legacy create after the genesis is refused', async () => {
    const legacy = await signOperation(
      {
        type: 'create',
        signingKey: KEYS[3]!.did(),
        recoveryKey: KEYS[0]!.did(),
        handle: 'x.test',
        service: 'https://x.test',
        prev: null,
      },
      KEYS[0]!,
    )
    expectRule(
      validateAuditLog(did, [entry(did, g.operation, T0), entry(did, legacy, T0 + HOUR)]),
      'LEGACY_NOT_GENESIS',
      1,
    )
  })

  it('a P-256 high-S signature is named too', async () => {
    const p = await genesisOf(KEYS[1]!)
    const op = await createUpdate(p.operation, { rotationKeys: [KEYS[7]!.did()] }, KEYS[0]!)
    const next = await createUpdate(op, { handle: 'p.test' }, KEYS[7]!)
    const log = [
      entry(p.did, p.operation, T0),
      entry(p.did, op, T0 + 1),
      entry(p.did, withSig(next, highS(next.sig, 'ES256')), T0 + 2),
    ]
    expectRule(validateAuditLog(p.did, log), 'SIGNATURE_HIGH_S', 2)
  })
})

describe('validateOperation', () => {
  it('reports every issue with a path', async () => {
    const g = await genesisOf()
    const r = validateOperation({
      ...g.operation,
      rotationKeys: ['did:key:zBad', 7],
      verificationMethods: { atproto: 'nope' },
      services: { x: { type: 1 } },
    })
    expect(r.success).toBe(false)
    if (r.success) return
    expect(r.issues.map((i) => `${i.code}@${i.path}`)).toEqual([
      'rotation-key-unsupported@rotationKeys[0]',
      'wrong-type@rotationKeys[1]',
      'verification-method-syntax@verificationMethods.atproto',
      'wrong-type@services.x.type',
      'wrong-type@services.x.endpoint',
    ])
    expect(validateOperation(null).success).toBe(false)
    expect(validateOperation({ type: 'plc_tombstone', prev: null, sig: 'x' }).success).toBe(false)
    expect(validateOperation({ type: 'plc_operation' }).success).toBe(false)
  })
})

describe('audit log: size', () => {
  it('a 300-operation log validates; the entry cap applies before any work', async () => {
    const { did, log } = await linearLog(299)
    const r = validateAuditLog(did, log)
    expect(r.valid && r.state.history.length).toBe(300)
    expectRule(validateAuditLog(did, log, { maxEntries: 299 }), 'LOG_TOO_LONG', 299)
  })
})
