import { Secp256k1Keypair } from '@rsky/crypto'
import { type Cid, encodeWithCid, parseCid } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  formatRecordPath,
  formatSetHashElement,
  isCreateOp,
  isDeleteOp,
  LTHASH_STATE_BYTES,
  LtHash,
  parseRecordPath,
  RecordPathError,
  RepoCommit,
  type RepoOp,
  spaceHostAud,
  verifyCommit,
} from '../src/index.ts'

// CIDs of { text: 'hello' } and { text: 'world' } (atproto permissioned-data tests).
const CID_A = parseCid('bafyreidefdycgbfy3oglcb6ism3eqhyp5llsrpzxjsuac2gsy4mtrtx244')
const CID_B = parseCid('bafyreidpw4cbv6gr4ukh33z23pvvrpr3wi4gnpmi4doamlsl3sa4rgri2a')
const ctx = {
  space: 'at://did:example:space/space/app.bsky.group/test',
  author: 'did:example:alice',
  rev: '3kbcq3p7ad400',
}

describe('RepoCommit', () => {
  it('the fixture CIDs are what the reference says', () => {
    expect(encodeWithCid({ text: 'hello' }).cid.equals(CID_A)).toBe(true)
    expect(encodeWithCid({ text: 'world' }).cid.equals(CID_B)).toBe(true)
  })

  it('starts empty; add then remove returns to empty', () => {
    const r = new RepoCommit()
    expect(r.setHash.isEmpty()).toBe(true)
    expect(r.setHash.state()).toHaveLength(LTHASH_STATE_BYTES)
    r.add('c.a', '1', CID_A)
    expect(r.setHash.isEmpty()).toBe(false)
    expect(r.remove('c.a', '1', CID_A).setHash.isEmpty()).toBe(true)
  })

  it('distinguishes the same CID at two paths and two CIDs at one path', () => {
    const a = new RepoCommit().add('c.a', '1', CID_A)
    expect(a.setHash.equals(new RepoCommit().add('c.a', '2', CID_A).setHash)).toBe(false)
    expect(a.setHash.equals(new RepoCommit().add('c.a', '1', CID_B).setHash)).toBe(false)
  })

  it('element is collection/rkey/cid and equals a direct LtHash add', () => {
    expect(formatSetHashElement('c.a', '1', CID_A)).toBe(`c.a/1/${CID_A.toString()}`)
    expect(new RepoCommit().add('c.a', '1', CID_A).setHash.equals(new LtHash().add(`c.a/1/${CID_A}`))).toBe(
      true,
    )
  })

  it('fromState, fromRecords, fromIndex agree', () => {
    const recs = [
      { collection: 'c.a', rkey: '1', cid: CID_A },
      { collection: 'c.b', rkey: '2', cid: CID_B },
    ]
    const inc = new RepoCommit().add('c.a', '1', CID_A).add('c.b', '2', CID_B)
    expect(RepoCommit.fromRecords(recs).setHash.equals(inc.setHash)).toBe(true)
    expect(
      RepoCommit.fromIndex(
        new Map([
          ['c.a/1', CID_A],
          ['c.b/2', CID_B],
        ]),
      ).setHash.equals(inc.setHash),
    ).toBe(true)
    expect(RepoCommit.fromIndex({ 'c.a/1': CID_A, 'c.b/2': CID_B }).setHash.equals(inc.setHash)).toBe(true)
    expect(RepoCommit.fromState(inc.setHash.state()).setHash.equals(inc.setHash)).toBe(true)
    expect(RepoCommit.fromState(null).setHash.isEmpty()).toBe(true)
    expect(() => RepoCommit.fromState(new Uint8Array(10))).toThrow(RangeError)
  })

  it('applyOp: create, update, delete', () => {
    const create: RepoOp = { collection: 'c.a', rkey: '1', cid: CID_A, prev: null }
    const update: RepoOp = { collection: 'c.a', rkey: '1', cid: CID_B, prev: CID_A }
    const del: RepoOp = { collection: 'c.a', rkey: '1', cid: null, prev: CID_B }
    expect([isCreateOp(create), isDeleteOp(create)]).toEqual([true, false])
    expect([isCreateOp(update), isDeleteOp(update)]).toEqual([false, false])
    expect([isCreateOp(del), isDeleteOp(del)]).toEqual([false, true])
    const r = new RepoCommit().applyOp(create)
    expect(r.setHash.equals(new RepoCommit().add('c.a', '1', CID_A).setHash)).toBe(true)
    r.applyOp(update)
    expect(r.setHash.equals(new RepoCommit().add('c.a', '1', CID_B).setHash)).toBe(true)
    expect(r.applyOp(del).setHash.isEmpty()).toBe(true)
  })

  it('sign / matches / verify, and matches() goes false after a change', async () => {
    const key = await Secp256k1Keypair.create()
    const repo = new RepoCommit().add('app.bsky.feed.post', '1', CID_A)
    const commit = await repo.sign(ctx, key)
    expect(commit.hash).toEqual(repo.digest())
    expect(repo.matches(commit)).toBe(true)
    expect(verifyCommit(commit, ctx, key.did())).toBe(true)
    const advanced = repo.clone().add('app.bsky.feed.post', '2', CID_B)
    expect(advanced.matches(commit)).toBe(false)
    expect(repo.matches(commit)).toBe(true)
  })

  it('any order of a valid op log gives the same digest as the final records', () => {
    const cids: Cid[] = Array.from({ length: 6 }, (_, i) => encodeWithCid({ i }).cid)
    const history = fc.array(
      fc.tuple(fc.constantFrom('a.b.c/1', 'a.b.c/2', 'x.y.z/k', 'x.y.z/kk'), fc.option(fc.nat(5))),
      {
        maxLength: 30,
      },
    )
    fc.assert(
      fc.property(history, fc.infiniteStream(fc.nat()), (steps, rand) => {
        const state = new Map<string, Cid>()
        const ops: RepoOp[] = []
        for (const [path, v] of steps) {
          const { collection, rkey } = parseRecordPath(path)
          const prev = state.get(path) ?? null
          const cid = v === null ? null : cids[v]!
          if (!prev && !cid) continue
          ops.push({ collection, rkey, cid, prev })
          if (cid) state.set(path, cid)
          else state.delete(path)
        }
        const shuffled = [...ops]
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = rand.next().value % (i + 1)
          ;[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]
        }
        const final = RepoCommit.fromIndex(state)
        expect(new RepoCommit().applyOps(ops).setHash.equals(final.setHash)).toBe(true)
        expect(new RepoCommit().applyOps(shuffled).digest()).toEqual(final.digest())
      }),
      { seed: 42, numRuns: 200 },
    )
  })
})

describe('paths and audiences', () => {
  it('formats and parses collection/rkey', () => {
    expect(formatRecordPath('app.bsky.feed.post', '3k')).toBe('app.bsky.feed.post/3k')
    expect(parseRecordPath('app.bsky.feed.post/3k')).toEqual({ collection: 'app.bsky.feed.post', rkey: '3k' })
    for (const bad of ['', 'nope', '/x', 'x/', 'a/b/c', '//']) {
      expect(() => parseRecordPath(bad)).toThrow(RecordPathError)
    }
  })

  it('space host audience', () => {
    expect(spaceHostAud('did:example:space')).toBe('did:example:space#atproto_space_host')
  })
})
