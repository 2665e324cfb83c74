// Test-only: scripted firehose streams with consecutive seqs (commits, #sync, #account, #identity).
import type { BlockMap } from '@rsky/car'
import { writeCar } from '@rsky/car'
import type { Cid, LexMap } from '@rsky/dag-cbor'
import { encodeMessageFrame } from '../src/frame.ts'
import type { ScriptItem } from './server.ts'
import { type commit, commitBody } from './stream.ts'

const TIME = '2024-01-01T00:00:00.000Z'

export type Commit = Awaited<ReturnType<typeof commit>>

export function syncBody(
  did: string,
  seq: number,
  c: { cid: Cid; rev: string; relevantBlocks: BlockMap },
): LexMap {
  return {
    seq,
    did,
    blocks: writeCar([c.cid], [{ cid: c.cid, bytes: c.relevantBlocks.get(c.cid) as Uint8Array }]),
    rev: c.rev,
    time: TIME,
  }
}

/** Builds a script with consecutive seqs. */
export class Script {
  readonly items: ScriptItem[] = []
  seq = 0
  commit(did: string, c: Commit): number {
    return this.#push('#commit', commitBody(did, 0, c))
  }
  sync(did: string, c: Commit): number {
    return this.#push('#sync', syncBody(did, 0, c))
  }
  account(did: string, active: boolean, status?: string): number {
    const body: LexMap = { seq: 0, did, time: TIME, active }
    if (status !== undefined) body.status = status
    return this.#push('#account', body)
  }
  identity(did: string): number {
    return this.#push('#identity', { seq: 0, did, time: TIME })
  }
  /** Any frame type with this script's next seq (unknown types included). */
  raw(t: string, body: LexMap): number {
    return this.#push(t, body)
  }
  #push(t: string, body: LexMap): number {
    const seq = ++this.seq
    this.items.push({ kind: 'event', seq, frame: encodeMessageFrame(t, { ...body, seq }) })
    return seq
  }
}
