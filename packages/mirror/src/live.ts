// Turning firehose frames into work for the store. Each frame is decoded and, for a `#commit`,
// authenticated in itself (CAR hashes, ops inverted to prevData, signature) as soon as it
// arrives; whether it follows the held chain is decided later, inside the store's transaction.
import {
  type AccountEvent,
  type AuthRejection,
  type CommitAuthenticator,
  decodeFrame,
  frameBody,
  type IdentityEvent,
  parseRepoEvent,
  type SignatureVerifier,
  type SyncEvent,
} from '@rsky/sync'
import type { PreparedCommit } from './types.ts'

/** A decoded frame, ready for the apply loop (in stream order). */
export type LiveItem =
  | { kind: 'commit'; seq: number; did: string; time: string; commit: PreparedCommit }
  | { kind: 'rejected'; seq: number | undefined; did: string | undefined; code: string; message: string }
  | { kind: 'sync'; seq: number; did: string; event: SyncEvent }
  | { kind: 'account'; seq: number; did: string; event: AccountEvent }
  | { kind: 'identity'; seq: number; did: string; event: IdentityEvent }
  | { kind: 'skip'; seq: number | undefined }
  | { kind: 'error-frame'; error: string; message: string }
  | { kind: 'bad-frame'; message: string }

/**
 * Decodes one frame now and authenticates a `#commit` in the returned promise (so frames are
 * checked while earlier ones are still being written). Bad frames and forged commits come back as
 * items, never throws.
 */
export function prepareFrame(
  data: Uint8Array,
  opts: {
    keys: SignatureVerifier
    authenticator: CommitAuthenticator
    maxFrameSize: number
    /** Whether a DID's events are wanted at all (not followed: only the cursor moves). */
    wanted: (did: string) => boolean | Promise<boolean>
  },
): { seq: number | undefined; item: Promise<LiveItem> } {
  let frame: ReturnType<typeof decodeFrame>
  try {
    frame = decodeFrame(data, { maxFrameSize: data.length })
  } catch (err) {
    return done(undefined, { kind: 'bad-frame', message: (err as Error).message })
  }
  if (frame.op === -1) {
    const body = frame.body as { error?: unknown; message?: unknown }
    return done(undefined, {
      kind: 'error-frame',
      error: String(body.error ?? ''),
      message: String(body.message ?? ''),
    })
  }
  if (frame.op !== 1) return done(undefined, { kind: 'skip', seq: undefined })
  const body = frame.body as { seq?: unknown; repo?: unknown; did?: unknown }
  const seq = typeof body.seq === 'number' ? body.seq : undefined
  if (data.length > opts.maxFrameSize) {
    const did =
      typeof body.repo === 'string' ? body.repo : typeof body.did === 'string' ? body.did : undefined
    const message = `frame exceeds maxFrameSize; size=${data.length} max=${opts.maxFrameSize}`
    return done(seq, { kind: 'rejected', seq, did, code: 'FRAME_TOO_LARGE', message })
  }
  return {
    seq,
    item: prepareEvent(frame, data, seq, opts).catch((err: unknown) => rejectedOf(frame, seq, err)),
  }
}

function done(seq: number | undefined, item: LiveItem): { seq: number | undefined; item: Promise<LiveItem> } {
  return { seq, item: Promise.resolve(item) }
}

async function prepareEvent(
  frame: ReturnType<typeof decodeFrame>,
  data: Uint8Array,
  seq: number | undefined,
  opts: {
    keys: SignatureVerifier
    authenticator: CommitAuthenticator
    wanted: (did: string) => boolean | Promise<boolean>
  },
): Promise<LiveItem> {
  const body = frame.body as { repo?: unknown; did?: unknown }
  const parsed = parseRepoEvent(frame)
  if (!parsed.success) {
    const did =
      typeof body.repo === 'string' ? body.repo : typeof body.did === 'string' ? body.did : undefined
    const issue = parsed.issues[0]
    return { kind: 'rejected', seq, did, code: 'BAD_EVENT', message: `${issue?.path}: ${issue?.message}` }
  }
  const evt = parsed.value
  switch (evt.$type) {
    case '#commit': {
      if (!(await opts.wanted(evt.repo))) return { kind: 'skip', seq: evt.seq }
      // the frame's own body goes to an authentication worker as is (not encoded again)
      const r = await opts.authenticator.authenticateCommit(evt, { keys: opts.keys, body: frameBody(data) })
      if (!r.success) return rejection(evt.seq, evt.repo, r)
      const v = r.value
      return {
        kind: 'commit',
        seq: v.seq,
        did: v.did,
        time: v.time,
        commit: {
          seq: v.seq,
          did: v.did,
          rev: v.rev,
          since: v.since,
          data: v.data,
          prevData: v.prevData,
          changes: v.ops.map((op) => ({
            action: op.action,
            collection: op.collection,
            rkey: op.rkey,
            cid: op.cid,
            record: op.record,
          })),
        },
      }
    }
    case '#sync':
      return { kind: 'sync', seq: evt.seq, did: evt.did, event: evt }
    case '#account':
      return { kind: 'account', seq: evt.seq, did: evt.did, event: evt }
    case '#identity':
      return { kind: 'identity', seq: evt.seq, did: evt.did, event: evt }
    default:
      return { kind: 'skip', seq }
  }
}

function rejectedOf(frame: ReturnType<typeof decodeFrame>, seq: number | undefined, err: unknown): LiveItem {
  const body = frame.body as { repo?: unknown; did?: unknown }
  const did = typeof body.repo === 'string' ? body.repo : typeof body.did === 'string' ? body.did : undefined
  return { kind: 'rejected', seq, did, code: 'AUTH_FAILED', message: String((err as Error)?.message ?? err) }
}

function rejection(seq: number, did: string, r: AuthRejection): LiveItem {
  return { kind: 'rejected', seq, did, code: r.code, message: r.message }
}
