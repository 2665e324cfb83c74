import { BlockMap, readCarWithRoot, writeCar } from '@rsky/car'
import { Secp256k1Keypair } from '@rsky/crypto'
import { type Cid, cidForCbor, encode, type LexMap } from '@rsky/dag-cbor'
import { encodeCommit } from '@rsky/repo'
import { beforeAll, describe, expect, it } from 'vitest'
import { authenticateCommit, authenticateSync, type VerifiedCommit } from '../src/authenticate.ts'
import { type CommitEvent, parseSyncEvent } from '../src/events.ts'
import { type KeyResolver, staticKeys } from '../src/keys.ts'
import type { RepoState } from '../src/repo-state.ts'
import { commitEventOf, seededStream } from './fixtures.ts'
import {
  type Account,
  commit,
  commitBody,
  keyTable,
  makeAccounts,
  randomWrites,
  rng,
  type StreamEvent,
} from './stream.ts'

let accounts: Account[]
let stream: StreamEvent[]
let keys: KeyResolver

beforeAll(async () => {
  ;({ accounts, stream, keys } = await seededStream(42, 24, 1200))
}, 60_000)

describe('authenticateCommit over a generated stream', () => {
  it('verifies every commit in order and chains the state', async () => {
    const states = new Map<string, RepoState>()
    let verified = 0
    for (const e of stream) {
      if (e.t !== '#commit') continue
      const evt = commitEventOf(e.body)
      const r = await authenticateCommit(evt, { keys, prior: states.get(e.did) })
      if (!r.success) throw new Error(`${e.seq}: ${r.code} ${r.message}`)
      expect(r.value.ops.map((o) => o.path)).toEqual(evt.ops.map((o) => o.path))
      states.set(e.did, { rev: r.value.rev, data: r.value.data, status: 'synchronized' })
      verified++
    }
    expect(verified).toBeGreaterThan(1100)
  })

  it('replays are stale; skipped commits break the chain', async () => {
    const commits = stream.filter((e) => e.t === '#commit')
    const byDid = new Map<string, StreamEvent[]>()
    for (const e of commits) byDid.set(e.did, [...(byDid.get(e.did) ?? []), e])
    const [first, second, third] = [...byDid.values()].find((l) => l.length >= 3) as StreamEvent[]
    const r1 = (await authenticateCommit(commitEventOf(first!.body), { keys })) as {
      success: true
      value: VerifiedCommit
    }
    expect(r1.success).toBe(true)
    const prior: RepoState = { rev: r1.value.rev, data: r1.value.data, status: 'synchronized' }
    const again = await authenticateCommit(commitEventOf(first!.body), { keys, prior })
    expect(again).toMatchObject({ success: false, code: 'STALE_REV', resync: false })
    const skip = await authenticateCommit(commitEventOf(third!.body), { keys, prior })
    expect(skip).toMatchObject({ success: false, code: 'CHAIN_BREAK', resync: true })
    expect((skip as { verified?: VerifiedCommit }).verified?.rev).toBe(commitEventOf(third!.body).rev)
    expect((await authenticateCommit(commitEventOf(second!.body), { keys, prior })).success).toBe(true)
  })
})

describe('hostile commits get the right reason', () => {
  let base: { body: LexMap; acct: Account }
  beforeAll(async () => {
    const acct = (await makeAccounts(1, rng(7), () => 'k256'))[0] as Account
    for (let i = 0; i < 30; i++) await commit(acct, randomWrites(acct, rng(100 + i)))
    const c = await commit(acct, [
      { action: 'create', collection: 'app.bsky.feed.post', rkey: '3kzzzzzzzzz22', record: { text: 'x' } },
      ...randomWrites(acct, rng(5), 3).filter((w) => w.action !== 'create'),
    ])
    base = { body: commitBody(acct.did, 99, c), acct }
    keys = staticKeys(keyTable([...accounts, acct]))
  })

  const car = (b: LexMap) => readCarWithRoot(b.blocks as Uint8Array)

  it('accepts the untouched event', async () => {
    expect((await authenticateCommit(commitEventOf(base.body), { keys })).success).toBe(true)
  })

  it('forged signature -> BAD_SIGNATURE', async () => {
    const { root, blocks } = car(base.body)
    const other = Secp256k1Keypair.create()
    const forgedKeys = staticKeys(new Map([[base.acct.did, other.did()]]))
    expect(await authenticateCommit(commitEventOf(base.body), { keys: forgedKeys })).toMatchObject({
      code: 'BAD_SIGNATURE',
    })
    // a commit re-signed by another key, with a consistent CID
    const { decodeCommit, signCommit } = await import('@rsky/repo')
    const c = decodeCommit(blocks.get(root)!)
    const { sig: _s, ...unsigned } = c as { sig: Uint8Array }
    const resigned = await signCommit(unsigned as never, other)
    const enc = encodeCommit(resigned)
    const nb = new BlockMap()
    for (const [cid, bytes] of blocks) if (!cid.equals(root)) nb.set(cid, bytes)
    nb.set(enc.cid, enc.bytes)
    const body = { ...base.body, commit: enc.cid, blocks: writeCar([enc.cid], nb) }
    expect(await authenticateCommit(commitEventOf(body), { keys })).toMatchObject({ code: 'BAD_SIGNATURE' })
  })

  it('unknown key -> KEY_UNAVAILABLE', async () => {
    expect(await authenticateCommit(commitEventOf(base.body), { keys: staticKeys(new Map()) })).toMatchObject(
      {
        code: 'KEY_UNAVAILABLE',
      },
    )
  })

  it('dropped proof blocks -> BROKEN_PROOF', async () => {
    const { root, blocks } = car(base.body)
    const opCids = new Set(commitEventOf(base.body).ops.flatMap((o) => (o.cid ? [o.cid.toString()] : [])))
    let tried = 0
    for (const [cid] of blocks) {
      if (cid.equals(root) || opCids.has(cid.toString())) continue
      const nb = new BlockMap()
      for (const [c, b] of blocks) if (!c.equals(cid)) nb.set(c, b)
      const r = await authenticateCommit(commitEventOf({ ...base.body, blocks: writeCar([root], nb) }), {
        keys,
      })
      expect(r).toMatchObject({ success: false, code: 'BROKEN_PROOF' })
      tried++
    }
    expect(tried).toBeGreaterThan(0)
  })

  it('missing record block -> MISSING_BLOCK', async () => {
    const { root, blocks } = car(base.body)
    const create = commitEventOf(base.body).ops.find((o) => o.action === 'create')!
    const nb = new BlockMap()
    for (const [c, b] of blocks) if (!c.equals(create.cid as Cid)) nb.set(c, b)
    const r = await authenticateCommit(commitEventOf({ ...base.body, blocks: writeCar([root], nb) }), {
      keys,
    })
    expect(r).toMatchObject({ code: 'MISSING_BLOCK' })
  })

  it('altered ops -> BROKEN_PROOF or BAD_OP', async () => {
    const evt = commitEventOf(base.body)
    const other = cidForCbor(encode({ text: 'forged' }))
    const cases: [string, CommitEvent['ops'], string][] = [
      ['dropped op', evt.ops.slice(1), 'BROKEN_PROOF'],
      [
        'extra delete',
        [...evt.ops, { action: 'delete', path: 'app.bsky.feed.post/3kaaaaaaaaa22', cid: null, prev: other }],
        'BROKEN_PROOF',
      ],
      ['wrong prev', evt.ops.map((o) => (o.action === 'create' ? o : { ...o, prev: other })), 'BROKEN_PROOF'],
      ['create with prev', evt.ops.map((o) => (o.action === 'create' ? { ...o, prev: other } : o)), 'BAD_OP'],
      ['update without prev', [{ action: 'update', path: evt.ops[0]!.path, cid: evt.ops[0]!.cid }], 'BAD_OP'],
      ['bad path', [{ ...evt.ops[0]!, path: 'nocollection' }], 'BAD_OP'],
      ['duplicate op', [evt.ops[0]!, evt.ops[0]!], 'BAD_OP'],
    ]
    for (const [name, ops, code] of cases) {
      const r = await authenticateCommit({ ...evt, ops }, { keys })
      expect(r, name).toMatchObject({ success: false, code })
    }
    expect(await authenticateCommit({ ...evt, prevData: other }, { keys })).toMatchObject({
      code: 'BROKEN_PROOF',
    })
  })

  it('CAR and commit mismatches', async () => {
    const evt = commitEventOf(base.body)
    const bytes = evt.blocks.slice()
    bytes[bytes.length - 3]! ^= 1
    expect(await authenticateCommit({ ...evt, blocks: bytes }, { keys })).toMatchObject({ code: 'BAD_CAR' })
    expect(await authenticateCommit({ ...evt, blocks: bytes.subarray(0, 20) }, { keys })).toMatchObject({
      code: 'BAD_CAR',
    })
    const other = cidForCbor(encode({ a: 1 }))
    expect(await authenticateCommit({ ...evt, commit: other }, { keys })).toMatchObject({
      code: 'COMMIT_CID_MISMATCH',
    })
    expect(
      await authenticateCommit({ ...evt, repo: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' }, { keys }),
    ).toMatchObject({
      code: 'DID_MISMATCH',
    })
    expect(await authenticateCommit({ ...evt, rev: '3kaaaaaaaaa22' }, { keys })).toMatchObject({
      code: 'REV_MISMATCH',
    })
    expect(await authenticateCommit({ ...evt, prevData: undefined }, { keys })).toMatchObject({
      code: 'MISSING_PREV_DATA',
    })
    expect(await authenticateCommit(evt, { keys, now: 0 })).toMatchObject({ code: 'FUTURE_REV' })
  })

  it('#sync events', async () => {
    const { root, blocks } = car(base.body)
    const syncBlocks = writeCar([root], [{ cid: root, bytes: blocks.get(root)! }])
    const body = {
      seq: 100,
      did: base.acct.did,
      blocks: syncBlocks,
      rev: commitEventOf(base.body).rev,
      time: '2024-01-01T00:00:00Z',
    }
    const sync = parseSyncEvent(body as never)
    if (!sync.success) throw new Error('bad sync')
    const r = await authenticateSync(sync.value, { keys })
    expect(r).toMatchObject({ success: true, value: { action: 'resync' } })
    const data = (r as { value: { data: Cid } }).value.data
    expect(
      await authenticateSync(sync.value, {
        keys,
        prior: { rev: '2aaaaaaaaaa22', data, status: 'synchronized' },
      }),
    ).toMatchObject({
      success: true,
      value: { action: 'none' },
    })
    expect(
      await authenticateSync(sync.value, {
        keys,
        prior: { rev: sync.value.rev, data, status: 'synchronized' },
      }),
    ).toMatchObject({ code: 'STALE_REV' })
    expect(
      await authenticateSync(sync.value, {
        keys: staticKeys(new Map([[base.acct.did, Secp256k1Keypair.create().did()]])),
      }),
    ).toMatchObject({
      code: 'BAD_SIGNATURE',
    })
  })
})
