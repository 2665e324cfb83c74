// Shared inputs of the space tests (rsky-space car.rs fixture values).
import { Secp256k1Keypair } from '@rsky/crypto'
import {
  type CommitCtx,
  RepoCommit,
  type SignedCommit,
  type SpaceCarRecord,
  serializeSpaceRecord,
} from '../src/index.ts'

export const RSKY_SPACE = 'at://did:plc:authority/space/community.blacksky.feed/main'
export const RSKY_AUTHOR = 'did:plc:author'
export const RSKY_REV = '3rev'
export const RSKY_IKM: Uint8Array = new Uint8Array(32).fill(9)
export const rskyCtx: CommitCtx = { space: RSKY_SPACE, author: RSKY_AUTHOR, rev: RSKY_REV }

/** rsky's author key: secp256k1 secret 0x22 x 32 (RFC 6979 signatures, so the CAR is reproducible). */
export const rskyAuthorKey = (): Secp256k1Keypair => Secp256k1Keypair.import(new Uint8Array(32).fill(0x22))

export const rskyRecords = (): SpaceCarRecord[] =>
  [
    ['community.blacksky.feed.like', '3kc', 'like one'],
    ['community.blacksky.feed.post', '3ka', 'post one'],
    ['community.blacksky.feed.post', '3kb', 'post two'],
  ].map(([c, r, text]) => serializeSpaceRecord(c!, r!, { text: text! }))

export async function rskyCommit(records: SpaceCarRecord[] = rskyRecords()): Promise<SignedCommit> {
  return RepoCommit.fromRecords(records).sign(rskyCtx, rskyAuthorKey(), { ikm: RSKY_IKM })
}
