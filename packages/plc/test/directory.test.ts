// Against a real PLC directory on loopback (@did-plc/server inside @atproto/dev-env): the
// directory's audit logs validate here, our operations are accepted there, and what it refuses is
// refused here with the matching rule.
import { TestNetworkNoAppView } from '@atproto/dev-env'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  applyOperation,
  buildUpdate,
  createGenesis,
  createTombstone,
  createUpdate,
  migrateAccount,
  PlcClient,
  PlcHttpError,
  PlcNotFoundError,
  type PlcRule,
  PlcRuleError,
  type PlcState,
  planMigration,
  type SignedOperation,
  signOperation,
  validateAuditLog,
} from '../src/index.ts'
import { HOUR, KEYS } from './fixtures.ts'

let net: TestNetworkNoAppView
let client: PlcClient

beforeAll(async () => {
  net = await TestNetworkNoAppView.create({})
  client = new PlcClient({ url: net.plc.url.replace('localhost', '127.0.0.1'), timeoutMs: 5000 })
})
afterAll(async () => {
  await net?.close()
})

async function audited(did: string): Promise<PlcState> {
  const r = validateAuditLog(did, await client.getAuditLog(did), { document: { keyFormat: 'legacy' } })
  if (!r.valid) throw r.error
  return r.state
}

/** Submits `op`; expects the directory to refuse it and this package to refuse it with `rule`. */
async function bothRefuse(did: string, op: SignedOperation, rule: PlcRule, now = Date.now()) {
  const theirs = await client.submit(did, op).then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(theirs).toBeInstanceOf(PlcHttpError)
  expect((theirs as PlcHttpError).status).toBe(400)
  const state = await audited(did)
  let ours: unknown
  try {
    applyOperation(did, state.history, op, { createdAt: now })
  } catch (err) {
    ours = err
  }
  expect(ours).toBeInstanceOf(PlcRuleError)
  expect((ours as PlcRuleError).code).toBe(rule)
  return (theirs as PlcHttpError).serverMessage
}

async function newDid(handle: string) {
  const g = await createGenesis({
    rotationKeys: [KEYS[0]!.did(), KEYS[1]!.did(), KEYS[7]!.did()],
    signingKey: KEYS[9]!.did(),
    handle,
    pds: 'https://old-pds.test',
    signer: KEYS[7]!,
  })
  await client.submit(g.did, g.operation)
  return g
}

describe('loopback PLC directory', () => {
  it('accounts the PDS created: audit logs validate and documents match the directory', async () => {
    const sc = net.getSeedClient()
    await sc.createAccount('alice', { handle: 'alice.test', email: 'alice@test.com', password: 'alice-pass' })
    await sc.createAccount('bob', { handle: 'bob.test', email: 'bob@test.com', password: 'bob-pass' })
    for (const did of [sc.dids['alice']!, sc.dids['bob']!]) {
      const state = await audited(did)
      expect(state.document).toEqual(await client.getDocument(did))
      expect(state.data).toEqual(await client.getDocumentData(did))
      expect(state.data?.alsoKnownAs[0]).toMatch(/^at:\/\/(alice|bob)\.test$/)
    }
  })

  it('our genesis, key rotation, handle and PDS changes are accepted and audit here', async () => {
    const g = await newDid('carol.test')
    expect(await client.getLastOperation(g.did)).toEqual(g.operation)
    const rotated = await createUpdate(
      g.operation,
      { rotationKeys: [KEYS[0]!.did(), KEYS[6]!.did(), KEYS[7]!.did()] },
      KEYS[7]!,
    )
    await client.submit(g.did, rotated)
    const renamed = await createUpdate(rotated, { handle: 'carol2.test' }, KEYS[6]!)
    await client.submit(g.did, renamed)

    const changes = { pds: 'https://new-pds.test', signingKey: KEYS[8]!.did() }
    const dry = await migrateAccount({
      client,
      did: g.did,
      signer: KEYS[6]!,
      changes,
      dryRun: true,
      document: { keyFormat: 'legacy' },
    })
    expect(dry.submitted).toBe(false)
    expect((await client.getDocumentData(g.did)).services['atproto_pds']?.endpoint).toBe(
      'https://old-pds.test',
    )
    expect(dry.plan.document.service[0]?.serviceEndpoint).toBe('https://new-pds.test')
    expect(dry.plan.before.verificationMethods['atproto']).toBe(KEYS[9]!.did())

    const done = await migrateAccount({
      client,
      did: g.did,
      signer: KEYS[6]!,
      changes,
      document: { keyFormat: 'legacy' },
    })
    expect(done.submitted).toBe(true)
    const state = await audited(g.did)
    expect(state.history.length).toBe(4)
    expect(state.document).toEqual(await client.getDocument(g.did))
    expect(state.document).toEqual(done.plan.document)
    expect(state.data?.alsoKnownAs).toEqual(['at://carol2.test'])
    expect(await client.getOperationLog(g.did)).toEqual(state.history.map((h) => h.operation))
  })

  it('a higher-priority key nullifies a fork within the window; the directory and we agree', async () => {
    const g = await newDid('dave.test')
    const attack = await createUpdate(
      g.operation,
      { handle: 'mallory.test', rotationKeys: [KEYS[7]!.did()] },
      KEYS[7]!,
    )
    await client.submit(g.did, attack)
    const recover = await createUpdate(
      g.operation,
      { handle: 'dave.test', pds: 'https://safe.test' },
      KEYS[0]!,
    )
    await client.submit(g.did, recover)
    const state = await audited(g.did)
    expect(state.nullified.length).toBe(1)
    expect(state.data?.services['atproto_pds']?.endpoint).toBe('https://safe.test')
    expect(state.document).toEqual(await client.getDocument(g.did))
  })

  it('refusals match: rogue signer, same-key fork, late fork, after tombstone, wrong DID', async () => {
    const g = await newDid('erin.test')
    const rogue = await createUpdate(g.operation, { handle: 'rogue.test' }, KEYS[7]!)
    // the same update signed by a key outside the rotation keys
    const outsider = await signOperation(buildUpdate(g.operation, { handle: 'rogue.test' }), KEYS[3]!)
    await bothRefuse(g.did, outsider, 'SIGNATURE_INVALID')

    await client.submit(g.did, rogue) // signed by K7, the lowest key
    const sameKey = await createUpdate(g.operation, { handle: 'again.test' }, KEYS[7]!)
    await bothRefuse(g.did, sameKey, 'NULLIFICATION_KEY')

    // Age the disputed operation past 72 hours inside the directory's (in-memory) store.
    const contents = (net.plc.server.ctx.db as unknown as { contents: Record<string, { createdAt: Date }[]> })
      .contents
    contents[g.did]![0]!.createdAt = new Date(Date.now() - 74 * HOUR)
    contents[g.did]![1]!.createdAt = new Date(Date.now() - 73 * HOUR)
    const late = await createUpdate(g.operation, { handle: 'late.test' }, KEYS[0]!)
    const message = await bothRefuse(g.did, late, 'NULLIFICATION_LATE')
    expect(message).toMatch(/72 hr/)

    const tomb = await createTombstone(rogue, KEYS[7]!)
    await client.submit(g.did, tomb)
    await expect(client.getDocument(g.did)).rejects.toBeInstanceOf(PlcNotFoundError)
    const ended = await audited(g.did)
    expect(ended.tombstoned).toBe(true)
    const zombie = await signOperation(
      { ...buildUpdate(rogue, { handle: 'zombie.test' }), prev: ended.history.at(-1)!.cid },
      KEYS[0]!,
    )
    await bothRefuse(g.did, zombie, 'AFTER_TOMBSTONE')

    const other = await createGenesis({ rotationKeys: [KEYS[4]!.did()], handle: 'x.test', signer: KEYS[4]! })
    // a genesis submitted under a DID it does not hash to
    const stranger = 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'
    const theirs = await client.submit(stranger, other.operation).catch((e: unknown) => e)
    expect(theirs).toBeInstanceOf(PlcHttpError)
    expect(() => applyOperation(stranger, [], other.operation, { createdAt: Date.now() })).toThrow(
      expect.objectContaining({ code: 'GENESIS_HASH' }),
    )
  })

  it('planMigration refuses a signer with no authority and a tombstoned DID', async () => {
    const g = await newDid('gina.test')
    const auditLog = await client.getAuditLog(g.did)
    await expect(
      planMigration({
        did: g.did,
        auditLog,
        signer: KEYS[5]!,
        changes: { pds: 'https://x.test', signingKey: KEYS[8]!.did() },
      }),
    ).rejects.toMatchObject({
      code: 'SIGNER_NOT_ALLOWED',
    })
    await expect(client.getAuditLog('did:plc:bbbbbbbbbbbbbbbbbbbbbbbb')).rejects.toBeInstanceOf(
      PlcNotFoundError,
    )
  })
})
