// Worker-thread body of CommitAuthPool: authenticates the commits it is sent with the did:key the
// main thread resolved, and answers with the roots and record places of a verified commit
// (auth-answer.ts) or the rejection as DAG-CBOR.
import { parentPort } from 'node:worker_threads'
import { verifySignature } from '@rsky/crypto'
import { type Cid, decode, decodeCid, encode, type LexMap } from '@rsky/dag-cbor'
import { encodeVerifiedAnswer } from './auth-answer.ts'
import type { AuthBatch, AuthBatchResponse, AuthRequestOptions } from './auth-pool.node.ts'
import { authenticateCommit } from './authenticate.ts'
import { parseCommitEvent } from './events.ts'

// The main thread has already checked the event against the caller's limits.
const NO_LIMITS = { maxOps: Number.MAX_SAFE_INTEGER, maxCommitBlocks: Number.MAX_SAFE_INTEGER }

async function handle(event: Uint8Array, key: string, req: AuthRequestOptions | null): Promise<Uint8Array> {
  const parsed = parseCommitEvent(decode(event) as LexMap, NO_LIMITS)
  if (!parsed.success) {
    const first = parsed.issues[0]
    return encode({ ok: false, code: 'BAD_OP', message: `${first?.path}: ${first?.message}`, resync: false })
  }
  const r = await authenticateCommit(parsed.value, {
    keys: { verifySignatureForDid: (_did, data, sig) => verifySignature(key, data, sig) },
    ...(req === null
      ? {}
      : {
          prior: req.prior
            ? { rev: req.prior.rev, data: decodeCid(req.prior.data) as Cid, status: req.prior.status }
            : undefined,
          ...(req.now !== undefined ? { now: req.now } : {}),
          ...(req.maxClockDriftMs !== undefined ? { maxClockDriftMs: req.maxClockDriftMs } : {}),
          ...(req.requireRecords !== undefined ? { requireRecords: req.requireRecords } : {}),
          ...(req.lenient !== undefined ? { lenient: req.lenient } : {}),
          ...(req.car !== undefined ? { car: req.car } : {}),
        }),
  })
  if (r.success) {
    const v = r.value
    // the main thread holds the event: it is told only the roots and where each record lies
    return encodeVerifiedAnswer({
      seq: v.seq,
      repo: v.did,
      unproven: v.unproven === true,
      data: v.data.bytes,
      prevData: v.prevData.bytes,
      records: v.ops.map((op) => op.record),
      car: parsed.value.blocks,
    })
  }
  const out: LexMap = { ok: false, code: r.code, message: r.message, resync: r.resync }
  if (r.verified) out.v = { rev: r.verified.rev, data: r.verified.data }
  return encode(out)
}

if (parentPort === null) throw new Error('auth-worker: not running in a worker thread')
const port = parentPort
const EMPTY = new Uint8Array(0)
async function runBatch(msg: AuthBatch): Promise<void> {
  const out: Uint8Array[] = []
  let errors: (string | null)[] | undefined
  let size = 0
  let start = 0
  for (let i = 0; i < msg.ends.length; i++) {
    const end = msg.ends[i] as number
    try {
      const r = await handle(msg.events.subarray(start, end), msg.keys[i] as string, msg.opts?.[i] ?? null)
      out.push(r)
      size += r.length
    } catch (err) {
      out.push(EMPTY)
      errors ??= Array.from({ length: msg.ends.length }, () => null)
      errors[i] = String((err as Error)?.stack ?? err)
    }
    start = end
  }
  // the answers in one buffer, moved to the main thread rather than copied
  const results = new Uint8Array(size)
  const ends = new Uint32Array(out.length)
  let at = 0
  for (let i = 0; i < out.length; i++) {
    const r = out[i] as Uint8Array
    results.set(r, at)
    at += r.length
    ends[i] = at
  }
  const res: AuthBatchResponse =
    errors === undefined ? { batch: msg.batch, results, ends } : { batch: msg.batch, results, ends, errors }
  port.postMessage(res, [results.buffer])
}

// one batch at a time, in arrival order, so each DID's answers come back in the order it was sent
let last: Promise<void> = Promise.resolve()
port.on('message', (msg: AuthBatch) => {
  last = last.then(() => runBatch(msg))
})
