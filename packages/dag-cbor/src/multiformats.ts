// @rsky/dag-cbor/multiformats: the adapter to multiformats' `CID` class, kept off the main entry so
// that an app which never meets a multiformats CID does not bundle that library.
import { CID } from 'multiformats/cid'
import type { Cid } from './cid.ts'

/** A multiformats `CID` with the same bytes (for libraries that need that class). */
export function toMultiformatsCid(cid: Cid): CID {
  return CID.decode(cid.bytes)
}

export { fromMultiformatsCid } from './cid-parse.ts'
