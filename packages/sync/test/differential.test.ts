// Differential and interop checks: streams made by @atproto/repo through our authenticator,
// our streams through @atproto/sync's authenticated parser, and the interop proof fixtures.

import * as atCrypto from '@atproto/crypto'
import * as atRepo from '@atproto/repo'
import { parseCommitAuthenticated } from '@atproto/sync'
import * as dagCbor from '@ipld/dag-cbor'
import { BlockMap, writeCar } from '@rsky/car'
import { Secp256k1Keypair } from '@rsky/crypto'
import { type Cid, type LexMap, parseCid } from '@rsky/dag-cbor'
import { MemoryBlockstore, MST } from '@rsky/mst'
import { encodeCommit, signCommit } from '@rsky/repo'
import { readInteropJson, recordInteropCount } from '@rsky/test-vectors'
import { beforeAll, describe, expect, it } from 'vitest'
import { authenticateCommit } from '../src/authenticate.ts'
import type { CommitEvent } from '../src/events.ts'
import { encodeMessageFrame } from '../src/frame.ts'
import { staticKeys } from '../src/keys.ts'
import type { RepoState } from '../src/repo-state.ts'
import { commitEventOf, replayThroughFirehose, seededStream } from './fixtures.ts'
import type { ScriptItem } from './server.ts'
import { type Account, keyTable, rng, type StreamEvent } from './stream.ts'

const toCid = (c: { toString(): string }): Cid => parseCid(c.toString())

describe('streams produced by @atproto/repo', () => {
  it('authenticates every commit of many accounts on both curves, directly and through the Firehose client', async () => {
    const rand = rng(9)
    const accts: { did: string; key: atCrypto.Keypair; repo: atRepo.Repo; paths: string[] }[] = []
    for (let i = 0; i < 8; i++) {
      const key = i % 2 === 0 ? await atCrypto.Secp256k1Keypair.create() : await atCrypto.P256Keypair.create()
      const did = `did:plc:atproto${String(i).padStart(17, 'a')}`
      const repo = await atRepo.Repo.create(new atRepo.MemoryBlockstore(), did, key)
      accts.push({ did, key, repo, paths: [] })
    }
    const keys = staticKeys(new Map(accts.map((a) => [a.did, a.key.did()])))
    const states = new Map<string, RepoState>()
    const bodies: LexMap[] = []
    let n = 0
    for (let i = 0; i < 300; i++) {
      const a = accts[Math.floor(rand() * accts.length)]!
      const writes: atRepo.RecordWriteOp[] = []
      const used = new Set<string>()
      const count = 1 + Math.floor(rand() * 5)
      for (let j = 0; j < count; j++) {
        const avail = a.paths.filter((p) => !used.has(p))
        const r = rand()
        if (r < 0.3 && avail.length > 0) {
          const p = avail[Math.floor(rand() * avail.length)]!
          used.add(p)
          const [collection, rkey] = p.split('/') as [`${string}.${string}.${string}`, string]
          writes.push(
            r < 0.15
              ? { action: atRepo.WriteOpAction.Delete, collection, rkey }
              : { action: atRepo.WriteOpAction.Update, collection, rkey, record: { text: `u${i}.${j}` } },
          )
        } else {
          const rkey = `r${i}x${j}`
          const p = `app.bsky.feed.post/${rkey}`
          used.add(p)
          writes.push({
            action: atRepo.WriteOpAction.Create,
            collection: 'app.bsky.feed.post',
            rkey,
            record: { text: `c${i}.${j}` },
          })
        }
      }
      const prevData = a.repo.commit.data
      const prevRev = a.repo.commit.rev
      const prevCids = new Map<string, unknown>()
      for (const w of writes) {
        const p = `${w.collection}/${w.rkey}`
        prevCids.set(p, await a.repo.data.get(p))
      }
      const data = await a.repo.formatCommit(writes, a.key)
      a.repo = await a.repo.applyCommit(data)
      const ops: LexMap[] = []
      for (const w of writes) {
        const p = `${w.collection}/${w.rkey}`
        const now = await a.repo.data.get(p)
        const prev = prevCids.get(p) as { toString(): string } | null
        const op: LexMap = { action: w.action, path: p, cid: now ? toCid(now) : null }
        if (prev) op.prev = toCid(prev)
        ops.push(op)
        if (w.action === 'create') a.paths.push(p)
        if (w.action === 'delete') a.paths = a.paths.filter((x) => x !== p)
      }
      const blocks = await atRepo.blocksToCarFile(data.cid, data.relevantBlocks)
      const body: LexMap = {
        seq: i + 1,
        repo: a.did,
        commit: toCid(data.cid),
        rev: data.rev,
        since: prevRev,
        blocks,
        ops,
        blobs: [],
        prevData: toCid(prevData),
        tooBig: false,
        time: '2024-01-01T00:00:00Z',
      }
      bodies.push(body)
      const r = await authenticateCommit(commitEventOf(body), { keys, prior: states.get(a.did) })
      if (!r.success) throw new Error(`commit ${i}: ${r.code} ${r.message}`)
      states.set(a.did, { rev: r.value.rev, data: r.value.data, status: 'synchronized' })
      n++
    }
    expect(n).toBe(300)

    // the same stream through a loopback server and the Firehose client, with two disconnects
    const script: ScriptItem[] = []
    for (const b of bodies) {
      script.push({ kind: 'event', seq: b.seq as number, frame: encodeMessageFrame('#commit', b) })
      if (b.seq === 100 || b.seq === 222) script.push({ kind: 'disconnect' })
    }
    const delivered = new Map<number, number>()
    const options = { keys, fetchRepo: null, reconnect: { minDelayMs: 5, maxDelayMs: 30 } }
    const { rejected, connections } = await replayThroughFirehose(script, options, (e, done) => {
      if (e.type !== 'commit' || e.verified === null) return
      delivered.set(e.seq, (delivered.get(e.seq) ?? 0) + 1)
      if (delivered.size === 300) done()
    })
    expect(rejected).toEqual([])
    expect([...delivered.values()].every((c) => c === 1)).toBe(true)
    expect(connections.map((c) => c.cursor)).toEqual([undefined, 100, 222])
  }, 60_000)
})

describe('@atproto/sync parseCommitAuthenticated agrees', () => {
  let accounts: Account[]
  let stream: StreamEvent[]
  beforeAll(async () => {
    ;({ accounts, stream } = await seededStream(11, 10, 250, { commitsOnly: true }))
  })

  // @atproto/sync reads its own lexicon types: decode the frame body with @ipld/dag-cbor.
  function atEvent(e: StreamEvent): never {
    const header = dagCbor.encode({ op: 1, t: '#commit' })
    return dagCbor.decode(e.frame.subarray(header.length)) as never
  }

  function resolverFor(table: Map<string, string>) {
    return { did: { resolveAtprotoKey: async (did: string) => table.get(did) as string } } as never
  }

  it('on valid events: the same ops, actions and CIDs', async () => {
    const table = keyTable(accounts)
    const keys = staticKeys(table)
    for (const e of stream) {
      const theirs = await parseCommitAuthenticated(resolverFor(table), atEvent(e))
      const ours = await authenticateCommit(commitEventOf(e.body), { keys })
      if (!ours.success) throw new Error(ours.message)
      const a = theirs
        .map((t) => `${t.event} ${t.collection}/${t.rkey} ${'cid' in t ? t.cid.toString() : ''}`)
        .sort()
      const b = ours.value.ops.map((o) => `${o.action} ${o.path} ${o.cid ? o.cid.toString() : ''}`).sort()
      expect(b).toEqual(a)
    }
  })

  it('on forged signatures: both reject', async () => {
    const forged = new Map(accounts.map((a) => [a.did, Secp256k1Keypair.create().did()]))
    const keys = staticKeys(forged)
    for (const e of stream.slice(0, 40)) {
      await expect(parseCommitAuthenticated(resolverFor(forged), atEvent(e))).rejects.toThrow()
      expect(await authenticateCommit(commitEventOf(e.body), { keys })).toMatchObject({
        code: 'BAD_SIGNATURE',
      })
    }
  })

  it('on a dropped op: @atproto/sync (covering proofs only) accepts the rest; sync 1.1 inversion rejects', async () => {
    const table = keyTable(accounts)
    const keys = staticKeys(table)
    let compared = 0
    for (const e of stream) {
      const evt = commitEventOf(e.body)
      if (evt.ops.length < 2) continue
      const at = atEvent(e) as { ops: unknown[] }
      const theirs = await parseCommitAuthenticated(resolverFor(table), {
        ...at,
        ops: at.ops.slice(1),
      } as never)
      expect(theirs.length).toBe(evt.ops.length - 1)
      const ours = await authenticateCommit({ ...evt, ops: evt.ops.slice(1) }, { keys })
      expect(ours).toMatchObject({ success: false, code: 'BROKEN_PROOF' })
      compared++
    }
    expect(compared).toBeGreaterThan(10)
  })
})

interface ProofFixture {
  comment: string
  leafValue: string
  keys: string[]
  adds: string[]
  dels: string[]
  rootBeforeCommit: string
  rootAfterCommit: string
  blocksInProof: string[]
}

describe('interop firehose/commit-proof-fixtures.json through authenticateCommit', () => {
  const fixtures = readInteropJson<ProofFixture[]>(
    'atproto-interop-tests',
    'firehose/commit-proof-fixtures.json',
  )

  it('each fixture: the proof blocks alone authenticate; dropping any one breaks the proof', async () => {
    const keypair = Secp256k1Keypair.import('7f'.padEnd(64, '1'))
    const did = 'did:plc:fixturefixturefixturefi'
    const keys = staticKeys(new Map([[did, keypair.did()]]))
    let run = 0
    for (const f of fixtures) {
      const leaf = parseCid(f.leafValue)
      const before = [...f.keys].sort().map((k) => [k, leaf] as const)
      const beforeTree = MST.create(new MemoryBlockstore(), before)
      expect((await beforeTree.getPointer()).toString(), f.comment).toBe(f.rootBeforeCommit)
      const afterKeys = new Set([...f.keys, ...f.adds])
      for (const d of f.dels) afterKeys.delete(d)
      const afterTree = MST.create(
        new MemoryBlockstore(),
        [...afterKeys].sort().map((k) => [k, leaf] as const),
      )
      const { root, blocks: all } = await afterTree.getUnstoredBlocks()
      expect(root.toString(), f.comment).toBe(f.rootAfterCommit)
      const commit = await signCommit(
        { did, version: 3, data: root, rev: '3l4gsbkgfgk2o', prev: null },
        keypair,
      )
      const enc = encodeCommit(commit)
      const proof = new BlockMap()
      for (const s of f.blocksInProof) {
        const cid = parseCid(s)
        const bytes = all.get(cid)
        expect(bytes, `${f.comment}: proof block ${s}`).toBeDefined()
        proof.set(cid, bytes as Uint8Array)
      }
      const ops = [
        ...f.adds.map((k) => ({ action: 'create' as const, path: k, cid: leaf })),
        ...f.dels.map((k) => ({ action: 'delete' as const, path: k, cid: null, prev: leaf })),
      ].sort((a, b) => (a.path < b.path ? -1 : 1))
      const evt = (blocks: BlockMap): CommitEvent => {
        const withCommit = new BlockMap()
        withCommit.addMap(blocks)
        withCommit.set(enc.cid, enc.bytes)
        return {
          $type: '#commit',
          seq: 1,
          repo: did,
          commit: enc.cid,
          rev: '3l4gsbkgfgk2o',
          since: '3l4gsbkgfgk2n',
          blocks: writeCar([enc.cid], withCommit),
          ops,
          blobs: [],
          prevData: parseCid(f.rootBeforeCommit),
          tooBig: false,
          time: '2024-01-01T00:00:00Z',
        }
      }
      const ok = await authenticateCommit(evt(proof), { keys, requireRecords: false })
      expect(ok.success, `${f.comment}: ${ok.success ? '' : ok.message}`).toBe(true)
      // the fixture's leaf value has no block, so the default path names it missing
      expect(await authenticateCommit(evt(proof), { keys })).toMatchObject({ code: 'MISSING_BLOCK' })
      // Covering proofs may hold nodes the inversion never opens; dropping a needed one must be
      // BROKEN_PROOF, dropping the rest changes nothing. The tree root is always needed.
      let broken = 0
      for (const s of f.blocksInProof) {
        const less = new BlockMap()
        for (const [c, b] of proof) if (c.toString() !== s) less.set(c, b)
        const r = await authenticateCommit(evt(less), { keys, requireRecords: false })
        if (!r.success) {
          expect(r.code, `${f.comment} without ${s}`).toBe('BROKEN_PROOF')
          broken++
        }
        if (s === f.rootAfterCommit) expect(r.success).toBe(false)
      }
      expect(broken).toBeGreaterThan(0)
      const wrongPrev = await authenticateCommit(
        { ...evt(proof), prevData: parseCid(f.rootAfterCommit) },
        { keys, requireRecords: false },
      )
      expect(wrongPrev).toMatchObject({ code: 'BROKEN_PROOF' })
      run++
    }
    recordInteropCount('firehose/commit-proof-fixtures.json (authenticateCommit)', run)
  })
})
