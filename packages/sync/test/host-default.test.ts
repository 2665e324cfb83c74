// checkHost's default path: no `hosts` option, so the PDS endpoints come from the DID documents of
// `keys`, a real @rsky/identity IdResolver reading did:plc documents from a loopback PLC directory.
import type { LexMap } from '@rsky/dag-cbor'
import { IdResolver } from '@rsky/identity'
import { describe, expect, it } from 'vitest'
import { startHttpServer } from '../../identity/test/helpers/http-server.ts'
import { Firehose, type FirehoseRejection } from '../src/firehose.ts'
import { encodeMessageFrame } from '../src/frame.ts'
import { seededStream } from './fixtures.ts'
import { type ScriptItem, startReplayServer } from './server.ts'

const TIME = '2024-01-01T00:00:00.000Z'
const ELSEWHERE = 'https://elsewhere.example.com'

function plcDocument(did: string, didKey: string, pds: string): Record<string, unknown> {
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    alsoKnownAs: ['at://alice.test'],
    verificationMethod: [
      {
        id: `${did}#atproto`,
        type: 'Multikey',
        controller: did,
        publicKeyMultibase: didKey.slice('did:key:'.length),
      },
    ],
    service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: pds }],
  }
}

describe('Firehose checkHost with the default host resolver', () => {
  it('reads PDS hosts from real DID documents and follows #identity to a changed document', async () => {
    const { accounts, stream } = await seededStream(616, 2, 80, { commitsOnly: true })
    const [a, b] = accounts as [(typeof accounts)[0], (typeof accounts)[0]]
    // seqs tripled so the #identity events of both DIDs fit between two events in the middle
    const script: ScriptItem[] = []
    const mid = stream[Math.floor(stream.length / 2)]?.seq as number
    for (const e of stream) {
      script.push({
        kind: 'event',
        seq: e.seq * 3,
        frame: encodeMessageFrame(e.t, { ...e.body, seq: e.seq * 3 }),
      })
      if (e.seq === mid) {
        for (const [i, did] of [a.did, b.did].entries()) {
          const seq = e.seq * 3 + 1 + i
          const body: LexMap = { seq, did, time: TIME }
          script.push({ kind: 'event', seq, frame: encodeMessageFrame('#identity', body) })
        }
      }
    }
    const beforeMid = (did: string) => stream.filter((e) => e.did === did && e.seq <= mid).length
    const afterMid = (did: string) => stream.filter((e) => e.did === did && e.seq > mid).length
    expect(beforeMid(a.did) > 0 && afterMid(a.did) > 0 && beforeMid(b.did) > 0 && afterMid(b.did) > 0).toBe(
      true,
    )

    const server = await startReplayServer(script)
    const here = server.url.replace(/^ws/, 'http').replace(/\/xrpc.*$/, '')
    // a is hosted here and b elsewhere, until their #identity events: then they swap
    const pds = new Map([
      [a.did, here],
      [b.did, ELSEWHERE],
    ])
    const plc = await startHttpServer()
    for (const acct of [a, b]) {
      plc.routes.set(`/${acct.did}`, (_req, res) => {
        res.statusCode = 200
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify(plcDocument(acct.did, acct.keypair.did(), pds.get(acct.did) as string)))
      })
    }
    const keys = new IdResolver({ did: { plcUrl: plc.origin, timeoutMs: 5000 } })
    const commits = new Map<string, number[]>()
    const identities: string[] = []
    const rejected: FirehoseRejection[] = []
    let handled = 0
    let fh!: Firehose
    try {
      await new Promise<void>((resolve) => {
        const tick = () => {
          if (++handled === script.length) resolve()
        }
        fh = new Firehose({
          service: server.url,
          keys,
          checkHost: true,
          fetchRepo: null,
          onEvent: (e) => {
            if (e.type === 'commit') commits.set(e.did, [...(commits.get(e.did) ?? []), e.seq / 3])
            if (e.type === 'identity') {
              // the document changes once the #identity is seen; later commits of that DID follow it
              identities.push(e.did)
              pds.set(e.did, e.did === a.did ? ELSEWHERE : `${here}/`)
            }
            tick()
          },
          onReject: (r) => {
            rejected.push(r)
            tick()
          },
        })
        void fh.start()
      })
      await fh.stop()
    } finally {
      await server.close()
      await plc.close()
    }
    const seqsOf = (did: string, side: 'before' | 'after') =>
      stream
        .filter((e) => e.did === did && (side === 'before' ? e.seq <= mid : e.seq > mid))
        .map((e) => e.seq)
    expect(identities.sort()).toEqual([a.did, b.did].sort())
    // before the #identity events: a's commits delivered (signatures checked through the same
    // resolver), b's rejected; after them, the other way round
    expect(commits.get(a.did)).toEqual(seqsOf(a.did, 'before'))
    expect(commits.get(b.did)).toEqual(seqsOf(b.did, 'after'))
    const rejectedOf = (did: string) =>
      rejected.filter((r) => r.did === did).map((r) => (r.seq as number) / 3)
    expect(rejectedOf(b.did)).toEqual(seqsOf(b.did, 'before'))
    expect(rejectedOf(a.did)).toEqual(seqsOf(a.did, 'after'))
    for (const r of rejected) {
      expect(r.code).toBe('WRONG_HOST')
      expect(r.message).toContain('elsewhere.example.com')
    }
    // a's host was cached until its #identity: one fetch before it; after it, one plain fetch and
    // one forced refresh, then remembered as hosted elsewhere (no lookup per rejected event)
    expect(afterMid(a.did)).toBeGreaterThan(1)
    expect(plc.hitCount(`/${a.did}`)).toBe(3)
  }, 60_000)
})
