// LabelSubscription with verification on: the saved cursor never passes an event still being
// verified or handled, across a dropped connection; unsigned and undecodable labels are refused.
import { Secp256k1Keypair } from '@rsky/crypto'
import { LabelVerifier, labelToLex, signLabel } from '@rsky/label'
import { afterEach, describe, expect, it } from 'vitest'
import { MemoryCursorStore } from '../src/cursor.ts'
import { encodeMessageFrame } from '../src/frame.ts'
import { LabelSubscription } from '../src/labels.ts'
import { type ReplayServer, type ScriptItem, startReplayServer } from './server.ts'

const SRC = 'did:plc:labelerlabelerlabelerla'
const key = Secp256k1Keypair.import('9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c')
const servers: ReplayServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})

async function labelFrame(seq: number, val: string, signed = true): Promise<Uint8Array> {
  const input = {
    src: SRC,
    uri: `did:plc:subject${String(seq).padStart(17, 'a')}`,
    val,
    cts: '2024-01-01T00:00:00.000Z',
  }
  const label = signed ? labelToLex(await signLabel(input, key)) : { ...input, ver: 1 }
  return encodeMessageFrame('#labels', { seq, labels: [label] })
}

describe('LabelSubscription (verifying)', () => {
  it('saves a cursor only for handled events, resumes after a drop, refuses unsigned labels', async () => {
    const script: ScriptItem[] = []
    for (let seq = 1; seq <= 40; seq++) {
      script.push({ kind: 'event', seq, frame: await labelFrame(seq, `v${seq}`, seq !== 13) })
      if (seq === 25) script.push({ kind: 'disconnect' })
    }
    const server = await startReplayServer(script)
    servers.push(server)
    const store = new MemoryCursorStore()
    const saved: number[] = []
    const origSave = store.save.bind(store)
    store.save = (c: number) => {
      saved.push(c)
      origSave(c)
    }
    const handled: number[] = []
    const invalid: string[] = []
    let violations = 0
    let resolveDone!: () => void
    const done = new Promise<void>((r) => {
      resolveDone = r
    })
    const sub = new LabelSubscription({
      service: server.url,
      labeler: SRC,
      verify: new LabelVerifier({ keys: { [SRC]: key.did() } }),
      cursorStore: store,
      reconnect: { minDelayMs: 5, maxDelayMs: 30 },
      onEvent: async (e) => {
        if (e.$type !== '#labels') return
        // while this event is being handled, nothing at or after it may be saved
        if ((store.cursor ?? 0) >= e.seq) violations++
        if (e.seq % 7 === 0) await new Promise((r) => setTimeout(r, 5))
        handled.push(e.seq)
        if (e.seq === 40) resolveDone()
      },
      onInvalidLabel: (i) => invalid.push(`${i.seq}:${i.reason}`),
    })
    await sub.start()
    await done
    await sub.stop()
    expect(violations).toBe(0)
    expect(handled).toEqual(Array.from({ length: 40 }, (_, i) => i + 1).filter((s) => s !== 13))
    expect(invalid).toEqual(['13:UNSIGNED'])
    expect(store.cursor).toBe(40)
    expect(saved).toEqual([...saved].sort((a, b) => a - b))
    expect(server.connections.map((c) => c.cursor)).toEqual([undefined, 25])
  })

  it('requires the labeler DID unless verification is off', () => {
    expect(() => new LabelSubscription({ service: 'ws://127.0.0.1:1', onEvent: () => {} })).toThrow(TypeError)
    expect(
      () => new LabelSubscription({ service: 'ws://127.0.0.1:1', verify: false, onEvent: () => {} }),
    ).not.toThrow()
  })
})
