// Records validated per second against the real app.bsky lexicons: a post with facets and an
// image embed, a like and a profile. @rsky/lexicon validates the JSON form directly;
// @atproto/lexicon needs the decoded form (BlobRef, CID), converted once outside the timed loop.
import * as atcute from '@atcute/lexicons/validations'
import { Lexicons as AtprotoLexicons, jsonToLex } from '@atproto/lexicon'
import { jsonToLex as rskyJsonToLex } from '@rsky/dag-cbor'
import { Lexicons } from '@rsky/lexicon'
import type { BenchCase, BenchSuite } from '../harness.ts'
import {
  atcuteLike,
  atcutePost,
  atcuteProfile,
  loadLexiconDocs,
  makeLike,
  makePost,
  makeProfile,
} from '../workloads/lexicon.ts'

const suite: BenchSuite = {
  name: 'lexicon',
  description: 'Records validated per second against the real lexicons (app.bsky.feed.post, like, profile)',
  cases() {
    const docs = loadLexiconDocs()
    const ours = new Lexicons(docs)
    const theirs = new AtprotoLexicons(structuredClone(docs) as never[])
    const inputs = [
      {
        label: 'post with facets and image embed',
        nsid: 'app.bsky.feed.post',
        json: makePost(),
        schema: atcutePost,
      },
      { label: 'like', nsid: 'app.bsky.feed.like', json: makeLike(), schema: atcuteLike },
      {
        label: 'profile with avatar and banner',
        nsid: 'app.bsky.actor.profile',
        json: makeProfile(),
        schema: atcuteProfile,
      },
    ]
    const cases: BenchCase[] = []
    for (const { label, nsid, json, schema } of inputs) {
      const atprotoValue = jsonToLex(json)
      const decoded = rskyJsonToLex(json)
      // Every implementation must accept the input, or the comparison is meaningless.
      if (!ours.validateRecord(nsid, json).success) throw new Error(`@rsky/lexicon rejects ${nsid}`)
      if (!ours.validateRecord(nsid, decoded).success)
        throw new Error(`@rsky/lexicon rejects decoded ${nsid}`)
      theirs.assertValidRecord(nsid, atprotoValue)
      if (!atcute.safeParse(schema, json).ok) throw new Error(`@atcute/lexicons rejects ${nsid}`)
      cases.push({
        name: `validate ${label}`,
        unit: 'record',
        impls: {
          '@rsky/lexicon': () => () => ours.validateRecord(nsid, json),
          '@atproto/lexicon': () => () => theirs.assertValidRecord(nsid, atprotoValue),
          '@atcute/lexicons': () => () => atcute.safeParse(schema, json),
        },
        note: '@atcute/lexicons runs hand-transcribed schemas (it ships no app.bsky schemas); @atproto/lexicon gets the decoded form (it can not validate JSON-form blobs).',
      })
    }
    const post = makePost()
    const decodedPost = rskyJsonToLex(post)
    cases.push({
      name: 'validate post (decoded form: Cid, bytes)',
      unit: 'record',
      impls: {
        '@rsky/lexicon': () => () => ours.validateRecord('app.bsky.feed.post', decodedPost),
        '@atproto/lexicon': () => {
          const v = jsonToLex(post)
          return () => theirs.assertValidRecord('app.bsky.feed.post', v)
        },
      },
    })
    return cases
  },
}

export default suite
