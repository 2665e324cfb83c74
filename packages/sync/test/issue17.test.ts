// Issue 17 G and H: malformed revs are results, and a chain break carries only what is signed.
import { Secp256k1Keypair } from '@rsky/crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { authenticateCommit, authenticateSync } from '../src/authenticate.ts'
import { type CommitEvent, parseSyncEvent, type SyncEvent } from '../src/events.ts'
import { staticKeys } from '../src/keys.ts'
import { CommitAuthPool } from '../src/node.ts'
import type { RepoState } from '../src/repo-state.ts'
import { commitEventOf, seededStream } from './fixtures.ts'
import type { StreamEvent } from './stream.ts'

let stream: StreamEvent[]
let keys: ReturnType<typeof staticKeys>

beforeAll(async () => {
  ;({ stream, keys } = (await seededStream(1717, 3, 60, { commitsOnly: true })) as never)
}, 60_000)

const BAD_REVS = [
  '',
  'not-a-tid',
  '3k',
  '!!!!!!!!!!!!!',
  'zzzzzzzzzzzzz',
  '3kaaaaaaaaa22x',
  '\u0000'.repeat(13),
]

function syncOf(e: StreamEvent, rev: string): SyncEvent {
  const c = commitEventOf(e.body)
  const r = parseSyncEvent({ seq: e.seq, did: e.did, blocks: c.blocks, rev: c.rev, time: c.time } as never)
  if (!r.success) throw new Error('bad sync fixture')
  return { ...r.value, rev }
}

describe('G: a malformed rev is a rejection, never a throw', () => {
  for (const rev of BAD_REVS) {
    it(`authenticateCommit and authenticateSync answer BAD_REV for ${JSON.stringify(rev)}`, async () => {
      const e = stream[0] as StreamEvent
      const evt: CommitEvent = { ...commitEventOf(e.body), rev }
      await expect(authenticateCommit(evt, { keys })).resolves.toMatchObject({
        success: false,
        code: 'BAD_REV',
      })
      const prior: RepoState = {
        rev: '3kaaaaaaaaa22',
        data: (await authenticateSync(syncOf(e, commitEventOf(e.body).rev), { keys }).then((r) => {
          if (!r.success) throw new Error(r.code)
          return r.value.data
        })) as RepoState['data'],
        status: 'synchronized',
      }
      await expect(authenticateCommit(evt, { keys, prior })).resolves.toMatchObject({ code: 'BAD_REV' })
      await expect(authenticateSync(syncOf(e, rev), { keys })).resolves.toMatchObject({ code: 'BAD_REV' })
      await expect(authenticateSync(syncOf(e, rev), { keys, prior })).resolves.toMatchObject({
        code: 'BAD_REV',
      })
    })
  }
})

describe('H: CHAIN_BREAK carries only what the signature covers', () => {
  async function chainBreak(
    auth: (evt: CommitEvent, prior: RepoState) => ReturnType<typeof authenticateCommit>,
  ) {
    const byDid = new Map<string, StreamEvent[]>()
    for (const e of stream) byDid.set(e.did, [...(byDid.get(e.did) ?? []), e])
    const list = [...byDid.values()].find((l) => l.length >= 3) as StreamEvent[]
    const first = await authenticateCommit(commitEventOf((list[0] as StreamEvent).body), { keys })
    if (!first.success) throw new Error(first.code)
    const prior: RepoState = { rev: first.value.rev, data: first.value.data, status: 'synchronized' }
    // the third commit skips the second: authentic, but it does not follow the stored state
    const third = commitEventOf((list[2] as StreamEvent).body)
    return { third, r: await auth(third, prior) }
  }

  it('inline: no ops, prevData or since in verified; rev and data are the signed ones', async () => {
    const { third, r } = await chainBreak((evt, prior) => authenticateCommit(evt, { keys, prior }))
    expect(r).toMatchObject({ success: false, code: 'CHAIN_BREAK', resync: true })
    if (r.success) return
    const v = r.verified as unknown as Record<string, unknown>
    expect(Object.keys(v).sort()).toEqual(['commit', 'data', 'did', 'rev', 'seq'])
    expect(v.rev).toBe(third.rev)
    expect((v.commit as { equals(c: unknown): boolean }).equals(third.commit)).toBe(true)
  })

  it('CommitAuthPool: the same shape', async () => {
    const pool = new CommitAuthPool({ threads: 1 })
    try {
      const { third, r } = await chainBreak((evt, prior) => pool.authenticateCommit(evt, { keys, prior }))
      expect(r).toMatchObject({ success: false, code: 'CHAIN_BREAK' })
      if (r.success) return
      expect(Object.keys(r.verified ?? {}).sort()).toEqual(['commit', 'data', 'did', 'rev', 'seq'])
      expect(r.verified?.rev).toBe(third.rev)
    } finally {
      await pool.close()
    }
  })

  it('a forged key still gives BAD_SIGNATURE before any chain check', async () => {
    const { r } = await chainBreak((evt, prior) =>
      authenticateCommit(evt, {
        keys: staticKeys(new Map([[evt.repo, Secp256k1Keypair.create().did()]])),
        prior,
      }),
    )
    expect(r).toMatchObject({ code: 'BAD_SIGNATURE' })
    expect((r as { verified?: unknown }).verified).toBeUndefined()
  })
})
