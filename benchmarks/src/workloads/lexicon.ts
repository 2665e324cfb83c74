// Inputs of the lexicon suite: a post (facets + image embed), a like and a profile in the JSON
// form a PDS receives, the real lexicons read in place, and @atcute/lexicons schemas for the three
// records written with its builders (@atcute/lexicons ships no app.bsky schemas; these follow the
// lexicons field by field, the way its code generator would emit them).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as v from '@atcute/lexicons/validations'
import { rng } from '../workloads.ts'

const here = dirname(fileURLToPath(import.meta.url))
const LEXICONS_DIR = process.env['RSKY_LEXICONS_DIR'] ?? resolve(here, '../../../../shared/lexicons')

/** Every lexicon document under ../shared/lexicons (read in place, never copied). */
export function loadLexiconDocs(): unknown[] {
  if (!existsSync(LEXICONS_DIR)) throw new Error(`lexicons not found; path=${LEXICONS_DIR}`)
  const out: unknown[] = []
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.json')) out.push(JSON.parse(readFileSync(p, 'utf8')))
    }
  }
  walk(LEXICONS_DIR)
  return out
}

const RAW_CID = 'bafkreibjfgx2gprinfvicegelk5kosd6y2frmqpqzwqkg7usac74l3t2v4'
const POST_CID = 'bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq'
const POST_URI = 'at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3kznmn7xqxl22'

/** A post with text, a mention and a link facet, and an image embed (JSON form). */
export function makePost(seed = 7): Record<string, unknown> {
  const r = rng(seed)
  const words = [
    'the',
    'protocol',
    'repo',
    'record',
    'sync',
    'relay',
    'feed',
    'post',
    'labeler',
    'moderation',
  ]
  let text = '@alice.bsky.social '
  while (text.length < 180) text += `${r.pick(words)} `
  text += 'https://example.com/some/long/path é 🙂'
  const linkStart = new TextEncoder().encode(text.slice(0, text.indexOf('https://'))).length
  return {
    $type: 'app.bsky.feed.post',
    text,
    createdAt: '2024-11-24T12:34:56.789Z',
    langs: ['en'],
    facets: [
      {
        index: { byteStart: 0, byteEnd: 18 },
        features: [{ $type: 'app.bsky.richtext.facet#mention', did: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz' }],
      },
      {
        index: { byteStart: linkStart, byteEnd: linkStart + 33 },
        features: [{ $type: 'app.bsky.richtext.facet#link', uri: 'https://example.com/some/long/path' }],
      },
    ],
    embed: {
      $type: 'app.bsky.embed.images',
      images: [
        {
          alt: 'a photo of a cat sitting on a keyboard',
          image: { $type: 'blob', ref: { $link: RAW_CID }, mimeType: 'image/jpeg', size: 312_455 },
          aspectRatio: { width: 2000, height: 1500 },
        },
      ],
    },
  }
}

/** A like (JSON form). */
export function makeLike(): Record<string, unknown> {
  return {
    $type: 'app.bsky.feed.like',
    subject: { uri: POST_URI, cid: POST_CID },
    createdAt: '2024-11-24T12:34:56.789Z',
  }
}

/** A profile with avatar and banner (JSON form). */
export function makeProfile(): Record<string, unknown> {
  const blob = (size: number) => ({ $type: 'blob', ref: { $link: RAW_CID }, mimeType: 'image/jpeg', size })
  return {
    $type: 'app.bsky.actor.profile',
    displayName: 'Alice Example 🌻',
    description: 'Protocol engineer. Writes about repos, relays and records.\nhttps://example.com',
    avatar: blob(95_000),
    banner: blob(420_000),
    createdAt: '2024-11-24T12:34:56.789Z',
  }
}

// ---- @atcute/lexicons schemas, transcribed from the lexicons ----
const strongRef = v.object({
  $type: v.optional(v.literal('com.atproto.repo.strongRef')),
  uri: v.resourceUriString(),
  cid: v.cidString(),
})
const selfLabels = v.object({
  $type: v.optional(v.literal('com.atproto.label.defs#selfLabels')),
  values: v.constrain(
    v.array(
      v.object({
        $type: v.optional(v.literal('com.atproto.label.defs#selfLabel')),
        val: v.constrain(v.string(), [v.stringLength(0, 128)]),
      }),
    ),
    [v.arrayLength(0, 10)],
  ),
})
const byteSlice = v.object({
  $type: v.optional(v.literal('app.bsky.richtext.facet#byteSlice')),
  byteStart: v.constrain(v.integer(), [v.integerRange(0)]),
  byteEnd: v.constrain(v.integer(), [v.integerRange(0)]),
})
const facet = v.object({
  $type: v.optional(v.literal('app.bsky.richtext.facet')),
  index: byteSlice,
  features: v.array(
    v.variant([
      v.object({ $type: v.literal('app.bsky.richtext.facet#mention'), did: v.didString() }),
      v.object({ $type: v.literal('app.bsky.richtext.facet#link'), uri: v.genericUriString() }),
      v.object({
        $type: v.literal('app.bsky.richtext.facet#tag'),
        tag: v.constrain(v.string(), [v.stringLength(0, 640), v.stringGraphemes(0, 64)]),
      }),
    ]),
  ),
})
const aspectRatio = v.object({
  $type: v.optional(v.literal('app.bsky.embed.defs#aspectRatio')),
  width: v.constrain(v.integer(), [v.integerRange(1)]),
  height: v.constrain(v.integer(), [v.integerRange(1)]),
})
const embedImages = v.object({
  $type: v.optional(v.literal('app.bsky.embed.images')),
  images: v.constrain(
    v.array(
      v.object({
        $type: v.optional(v.literal('app.bsky.embed.images#image')),
        image: v.constrain(v.blob(), [v.blobAccept(['image/*']), v.blobSize(2_000_000)]),
        alt: v.string(),
        aspectRatio: v.optional(aspectRatio),
      }),
    ),
    [v.arrayLength(0, 4)],
  ),
})
const embedExternal = v.object({
  $type: v.optional(v.literal('app.bsky.embed.external')),
  external: v.object({
    $type: v.optional(v.literal('app.bsky.embed.external#external')),
    uri: v.genericUriString(),
    title: v.string(),
    description: v.string(),
    thumb: v.optional(v.constrain(v.blob(), [v.blobAccept(['image/*']), v.blobSize(1_000_000)])),
  }),
})
const embedRecord = v.object({ $type: v.optional(v.literal('app.bsky.embed.record')), record: strongRef })

/** app.bsky.feed.post (embed union limited to images, external and record: the data uses images). */
export const atcutePost: v.BaseSchema<Record<string, unknown>> = v.record(
  v.tidString(),
  v.object({
    $type: v.literal('app.bsky.feed.post'),
    text: v.constrain(v.string(), [v.stringLength(0, 3000), v.stringGraphemes(0, 300)]),
    facets: v.optional(v.array(facet)),
    reply: v.optional(v.object({ root: strongRef, parent: strongRef })),
    embed: v.optional(v.variant([embedImages, embedExternal, embedRecord])),
    langs: v.optional(v.constrain(v.array(v.languageCodeString()), [v.arrayLength(0, 3)])),
    labels: v.optional(v.variant([selfLabels])),
    tags: v.optional(
      v.constrain(v.array(v.constrain(v.string(), [v.stringLength(0, 640), v.stringGraphemes(0, 64)])), [
        v.arrayLength(0, 8),
      ]),
    ),
    createdAt: v.datetimeString(),
  }),
)

/** app.bsky.feed.like */
export const atcuteLike: v.BaseSchema<Record<string, unknown>> = v.record(
  v.tidString(),
  v.object({
    $type: v.literal('app.bsky.feed.like'),
    subject: strongRef,
    createdAt: v.datetimeString(),
    via: v.optional(strongRef),
  }),
)

const profileBlob = v.constrain(v.blob(), [v.blobAccept(['image/png', 'image/jpeg']), v.blobSize(1_000_000)])
/** app.bsky.actor.profile */
export const atcuteProfile: v.BaseSchema<Record<string, unknown>> = v.record(
  v.literal('self'),
  v.object({
    $type: v.literal('app.bsky.actor.profile'),
    displayName: v.optional(v.constrain(v.string(), [v.stringLength(0, 640), v.stringGraphemes(0, 64)])),
    description: v.optional(v.constrain(v.string(), [v.stringLength(0, 2560), v.stringGraphemes(0, 256)])),
    pronouns: v.optional(v.constrain(v.string(), [v.stringLength(0, 200), v.stringGraphemes(0, 20)])),
    website: v.optional(v.genericUriString()),
    avatar: v.optional(profileBlob),
    banner: v.optional(profileBlob),
    labels: v.optional(v.variant([selfLabels])),
    joinedViaStarterPack: v.optional(strongRef),
    pinnedPost: v.optional(strongRef),
    createdAt: v.optional(v.datetimeString()),
  }),
)
