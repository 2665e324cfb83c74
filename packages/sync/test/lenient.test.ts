// Lenient mode (data from before sync 1.1) and decoded records on verified ops.
import type { LexMap } from '@rsky/dag-cbor'
import { describe, expect, it } from 'vitest'
import { authenticateCommit } from '../src/authenticate.ts'
import { CommitAuthPool } from '../src/node.ts'
import type { RepoState } from '../src/repo-state.ts'
import { commitEventOf, seededStream } from './fixtures.ts'
import type { StreamEvent } from './stream.ts'

async function chain(): Promise<{
  events: StreamEvent[]
  keys: Awaited<ReturnType<typeof seededStream>>['keys']
}> {
  const s = await seededStream(5150, 1, 4, { commitsOnly: true })
  return { events: s.stream, keys: s.keys }
}

function without(body: LexMap, field: string, value?: unknown): LexMap {
  const b = { ...body }
  if (value === undefined) delete b[field]
  else b[field] = value as never
  return b
}

describe('lenient mode', () => {
  it('a commit without prevData: MISSING_PREV_DATA strictly, unproven when lenient; inline and pooled agree', async () => {
    const { events, keys } = await chain()
    const [e1, e2] = events as [StreamEvent, StreamEvent]
    const r1 = await authenticateCommit(commitEventOf(e1.body), { keys })
    if (!r1.success) throw new Error(r1.code)
    const prior: RepoState = { rev: r1.value.rev, data: r1.value.data, status: 'synchronized' }
    const evt = commitEventOf(without(e2.body, 'prevData'))
    expect(await authenticateCommit(evt, { keys, prior })).toMatchObject({ code: 'MISSING_PREV_DATA' })
    const lenient = await authenticateCommit(evt, { keys, prior, lenient: true })
    expect(lenient).toMatchObject({ success: true, value: { unproven: true } })
    const pool = new CommitAuthPool({ threads: 1 })
    try {
      expect(await pool.authenticateCommit(evt, { keys, prior, lenient: true })).toMatchObject({
        success: true,
        value: { unproven: true },
      })
      expect(await pool.authenticateCommit(evt, { keys, prior })).toMatchObject({ code: 'MISSING_PREV_DATA' })
    } finally {
      await pool.close()
    }
    // the signature is still checked
    const forged = { ...evt, blocks: commitEventOf(e1.body).blocks }
    expect((await authenticateCommit(forged, { keys, prior, lenient: true })).success).toBe(false)
  })

  it('since: null from a bridge PDS: a chain break strictly, accepted (proven by prevData) when lenient', async () => {
    const { events, keys } = await chain()
    const [e1, e2] = events as [StreamEvent, StreamEvent]
    const r1 = await authenticateCommit(commitEventOf(e1.body), { keys })
    if (!r1.success) throw new Error(r1.code)
    const prior: RepoState = { rev: r1.value.rev, data: r1.value.data, status: 'synchronized' }
    const evt = commitEventOf(without(e2.body, 'since', null))
    expect(await authenticateCommit(evt, { keys, prior })).toMatchObject({ code: 'CHAIN_BREAK' })
    const r = await authenticateCommit(evt, { keys, prior, lenient: true })
    expect(r.success).toBe(true)
    expect(r.success && r.value.unproven).toBeFalsy()
    // since: null and no prevData after other commits: unproven
    const bare = commitEventOf(without(without(e2.body, 'since', null), 'prevData'))
    expect(await authenticateCommit(bare, { keys, prior })).toMatchObject({ success: false })
    expect(await authenticateCommit(bare, { keys, prior, lenient: true })).toMatchObject({
      success: true,
      value: { unproven: true },
    })
  })
})

describe('verified ops carry the decoded record', () => {
  it('value is the record as DAG-CBOR data, null for deletes; the same through the pool', async () => {
    const { events, keys } = await chain()
    const pool = new CommitAuthPool({ threads: 1 })
    try {
      let prior: RepoState | undefined
      let checked = 0
      for (const e of events) {
        const evt = commitEventOf(e.body)
        const inline = await authenticateCommit(evt, { keys, prior })
        const pooled = await pool.authenticateCommit(evt, { keys, prior })
        if (!inline.success || !pooled.success) throw new Error('not verified')
        for (let i = 0; i < inline.value.ops.length; i++) {
          const op = inline.value.ops[i]
          const other = pooled.value.ops[i]
          if (op === undefined || other === undefined) throw new Error('op missing')
          if (op.action === 'delete') expect(op.value).toBeNull()
          else {
            expect((op.value as LexMap).$type).toBe(op.collection)
            checked++
          }
          expect(other.value).toEqual(op.value)
        }
        // not enumerable: copies and comparisons of ops are unchanged
        expect(Object.keys(inline.value.ops[0] ?? {})).not.toContain('value')
        prior = { rev: inline.value.rev, data: inline.value.data, status: 'synchronized' }
      }
      expect(checked).toBeGreaterThan(0)
    } finally {
      await pool.close()
    }
  })
})
