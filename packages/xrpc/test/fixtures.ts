// Shared test set-up: real lexicons read in place, a small test lexicon set, and a key source.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const LEXICON_DIR =
  process.env.RSKY_LEXICON_DIR ??
  join(fileURLToPath(new URL('.', import.meta.url)), '../../../../shared/lexicons')

/** Real network lexicons by NSID, read from ../shared/lexicons. */
export function realLexicons(...nsids: string[]): unknown[] {
  return nsids.map(
    (nsid) => JSON.parse(readFileSync(join(LEXICON_DIR, ...nsid.split('.')) + '.json', 'utf8')) as unknown,
  )
}

/** The lexicons a feed generator serves. */
export const FEED_LEXICONS: string[] = [
  'app.bsky.feed.getFeedSkeleton',
  'app.bsky.feed.describeFeedGenerator',
  'app.bsky.feed.defs',
]

/** A small set of test methods covering params by type, JSON and binary bodies, and a subscription. */
export const TEST_LEXICONS: unknown[] = [
  {
    lexicon: 1,
    id: 'com.example.get',
    defs: {
      main: {
        type: 'query',
        parameters: {
          type: 'params',
          required: ['name'],
          properties: {
            name: { type: 'string', maxLength: 20 },
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
            flag: { type: 'boolean' },
            tags: { type: 'array', items: { type: 'string' }, maxLength: 5 },
          },
        },
        output: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['greeting'],
            properties: { greeting: { type: 'string' }, limit: { type: 'integer' } },
          },
        },
        errors: [{ name: 'NoSuchName' }],
      },
    },
  },
  {
    lexicon: 1,
    id: 'com.example.ping',
    defs: { main: { type: 'query', output: { encoding: 'application/json' } } },
  },
  {
    lexicon: 1,
    id: 'com.example.echo',
    defs: {
      main: {
        type: 'procedure',
        input: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['text'],
            properties: { text: { type: 'string', maxLength: 1000 }, extra: { type: 'unknown' } },
          },
        },
        output: {
          encoding: 'application/json',
          schema: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } },
        },
      },
    },
  },
  {
    lexicon: 1,
    id: 'com.example.upload',
    defs: {
      main: {
        type: 'procedure',
        input: { encoding: '*/*' },
        output: {
          encoding: 'application/json',
          schema: { type: 'object', required: ['size'], properties: { size: { type: 'integer' } } },
        },
      },
    },
  },
  {
    lexicon: 1,
    id: 'com.example.download',
    defs: {
      main: {
        type: 'query',
        parameters: { type: 'params', properties: { size: { type: 'integer', minimum: 0 } } },
        output: { encoding: 'application/vnd.ipld.car' },
      },
    },
  },
  {
    lexicon: 1,
    id: 'com.example.noinput',
    defs: { main: { type: 'procedure' } },
  },
  {
    lexicon: 1,
    id: 'com.example.badOutput',
    defs: {
      main: {
        type: 'query',
        output: {
          encoding: 'application/json',
          schema: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
        },
      },
    },
  },
  {
    lexicon: 1,
    id: 'com.example.subscribe',
    defs: {
      main: {
        type: 'subscription',
        parameters: { type: 'params', properties: { count: { type: 'integer', minimum: 0, maximum: 1000 } } },
        message: { schema: { type: 'union', refs: ['#tick'] } },
        errors: [{ name: 'FutureCursor' }],
      },
      tick: { type: 'object', required: ['seq'], properties: { seq: { type: 'integer' } } },
    },
  },
]

/** A signing-key source over a map, counting lookups (and forced refreshes). */
export interface TestKeySource {
  calls: { total: number; forced: number }
  keys: Map<string, string>
  rotate(did: string, old: string): void
  resolveAtprotoKey(did: string, opts?: { forceRefresh?: boolean }): Promise<string>
}

export function keySource(initial: Record<string, string>): TestKeySource {
  const keys = new Map(Object.entries(initial))
  const stale = new Map<string, string>()
  const calls = { total: 0, forced: 0 }
  return {
    calls: calls,
    keys: keys,
    /** Serve `old` from the "cache" until a forced refresh (a rotated key). */
    rotate(did: string, old: string) {
      stale.set(did, old)
    },
    async resolveAtprotoKey(did: string, opts: { forceRefresh?: boolean } = {}): Promise<string> {
      calls.total++
      if (opts.forceRefresh) {
        calls.forced++
        stale.delete(did)
      }
      const k = stale.get(did) ?? keys.get(did)
      if (k === undefined) throw new Error(`unknown did ${did}`)
      return k
    },
  }
}
