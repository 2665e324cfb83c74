// Test-only: a labeler on loopback over an in-memory SQLite store, and small waiting helpers.
import { Secp256k1Keypair } from '@rsky/crypto'
import { Labeler } from '../src/labeler.ts'
import { type LabelerServer, type ServeLabelerOptions, serveLabeler } from '../src/server.ts'
import { SqliteLabelStore } from '../src/store/sqlite.ts'

export const LABELER_DID = 'did:plc:labelerlabelerlabelerla'
export const labelerKey: Secp256k1Keypair = Secp256k1Keypair.import(
  '9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c',
)

export async function startLabeler(
  opts: ServeLabelerOptions & { did?: string } = {},
): Promise<{ labeler: Labeler; server: LabelerServer; wsUrl: string }> {
  const labeler = await Labeler.create({
    did: opts.did ?? LABELER_DID,
    keypair: labelerKey,
    store: SqliteLabelStore.open(':memory:'),
  })
  const server = await serveLabeler(labeler, opts)
  return { labeler, server, wsUrl: server.url.replace('http://', 'ws://') }
}

/** Polls `check` every 5 ms until it holds; fails after `ms`. */
export async function until(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export const subject = (i: number): string =>
  `at://did:plc:subjectsubjectsubjectsu/app.bsky.feed.post/3l3qo2vuowo${String(i).padStart(2, '0')}`
