// The same bad requests to our server and to @atproto/xrpc-server, both built from the same
// lexicons with the same handlers: status and error body compared.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { InvalidRequestError, createServer as refCreateServer } from '@atproto/xrpc-server'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { XrpcError, XrpcServer } from '../src/index.ts'
import { type ServingNode, serveNode } from '../src/node.ts'
import { TEST_LEXICONS } from './fixtures.ts'

let ours: ServingNode
let ref: { url: string; http: Server }

beforeAll(async () => {
  const server = new XrpcServer({ lexicons: TEST_LEXICONS, maxBodyBytes: 100 * 1024 })
  server.add('com.example.get', ({ params }) => {
    if (params.name === 'nobody') throw new XrpcError('NoSuchName', 'no such name', { status: 400 })
    if (params.name === 'crash') throw new Error('boom')
    return { body: { greeting: `hello ${params.name}` } }
  })
  server.add('com.example.echo', ({ input }) => ({ body: { text: (input as { text: string }).text } }))
  server.add('com.example.noinput', () => undefined)
  server.add('com.example.badOutput', () => ({ body: { n: 'x' } }))
  ours = await serveNode(server)

  // biome-ignore lint/suspicious/noExplicitAny: the reference's lexicon types are its own
  const r = refCreateServer(TEST_LEXICONS as any, { payload: { jsonLimit: 100 * 1024 } })
  r.method('com.example.get', async ({ params }: { params: Record<string, unknown> }) => {
    if (params.name === 'nobody') throw new InvalidRequestError('no such name', 'NoSuchName')
    if (params.name === 'crash') throw new Error('boom')
    return { encoding: 'application/json', body: { greeting: `hello ${params.name}` } }
  })
  r.method('com.example.echo', async ({ input }) => ({
    encoding: 'application/json',
    body: { text: (input?.body as { text: string } | undefined)?.text },
  }))
  r.method('com.example.noinput', async () => undefined)
  r.method('com.example.badOutput', async () => ({ encoding: 'application/json', body: { n: 'x' } }))
  const http = r.listen(0)
  await new Promise<void>((res) => http.once('listening', () => res()))
  ref = { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, http }
})

afterAll(async () => {
  await ours?.close()
  ref?.http.closeAllConnections()
  await new Promise<void>((r) => ref?.http.close(() => r()))
})

const json = { 'content-type': 'application/json' }
// [name, method, path, body, headers, compare the message too]
const CASES: [string, string, string, string | undefined, Record<string, string>, boolean][] = [
  ['unknown nsid', 'GET', '/xrpc/com.example.nothing', undefined, {}, true],
  ['unknown nsid by POST', 'POST', '/xrpc/com.example.nothing', undefined, {}, true],
  ['query by POST', 'POST', '/xrpc/com.example.get?name=a', undefined, {}, true],
  ['procedure by GET', 'GET', '/xrpc/com.example.echo', undefined, {}, true],
  ['missing required param', 'GET', '/xrpc/com.example.get', undefined, {}, false],
  ['integer garbage', 'GET', '/xrpc/com.example.get?name=a&limit=abc', undefined, {}, false],
  ['integer above max', 'GET', '/xrpc/com.example.get?name=a&limit=101', undefined, {}, false],
  ['string too long', 'GET', `/xrpc/com.example.get?name=${'a'.repeat(21)}`, undefined, {}, false],
  [
    'array too long',
    'GET',
    '/xrpc/com.example.get?name=a&tags=1&tags=2&tags=3&tags=4&tags=5&tags=6',
    undefined,
    {},
    false,
  ],
  ['handler error with custom name', 'GET', '/xrpc/com.example.get?name=nobody', undefined, {}, true],
  ['handler crash', 'GET', '/xrpc/com.example.get?name=crash', undefined, {}, true],
  ['output fails its lexicon', 'GET', '/xrpc/com.example.badOutput', undefined, {}, true],
  ['no body', 'POST', '/xrpc/com.example.echo', undefined, {}, true],
  ['no body with content-type', 'POST', '/xrpc/com.example.echo', undefined, json, false],
  ['no content-type', 'POST', '/xrpc/com.example.echo', '{"text":"a"}', { 'content-type': '' }, true],
  ['bad JSON', 'POST', '/xrpc/com.example.echo', '{"text":', json, false],
  ['__proto__ param', 'GET', '/xrpc/com.example.get?name=a&__proto__=x', undefined, {}, false],
  ['scalar param repeated', 'GET', '/xrpc/com.example.get?name=a&name=b', undefined, {}, false],
  ['boolean garbage', 'GET', '/xrpc/com.example.get?name=a&flag=yes', undefined, {}, false],
  ['integer 1.5', 'GET', '/xrpc/com.example.get?name=nobody&limit=1.5', undefined, {}, false],
  ['integer 1e2', 'GET', '/xrpc/com.example.get?name=nobody&limit=1e2', undefined, {}, false],
  ['integer 0x10', 'GET', '/xrpc/com.example.get?name=nobody&limit=0x10', undefined, {}, false],
  ['integer with a space', 'GET', '/xrpc/com.example.get?name=nobody&limit=%207', undefined, {}, false],
  [
    'integer 20 digits',
    'GET',
    '/xrpc/com.example.get?name=nobody&limit=99999999999999999999',
    undefined,
    {},
    false,
  ],
  [
    'empty values over an array cap',
    'GET',
    '/xrpc/com.example.get?name=nobody&tags=&tags=&tags=&tags=&tags=&tags=',
    undefined,
    {},
    false,
  ],
  ['wrong content-type', 'POST', '/xrpc/com.example.echo', 'hello', { 'content-type': 'text/plain' }, true],
  ['input fails its lexicon', 'POST', '/xrpc/com.example.echo', '{"text":5}', json, false],
  ['input missing field', 'POST', '/xrpc/com.example.echo', '{}', json, false],
  [
    'oversized body',
    'POST',
    '/xrpc/com.example.echo',
    JSON.stringify({ text: 'a', extra: 'x'.repeat(200_000) }),
    json,
    false,
  ],
  ['body when none expected', 'POST', '/xrpc/com.example.noinput', '{"a":1}', json, true],
]

// Where we differ on purpose, pinned so a change on either side shows up:
// - the reference lets its body parser's error class names through (`PayloadTooLargeError`,
//   `SyntaxError`); we send the XRPC names (`PayloadTooLarge`, `InvalidRequest`);
// - a non-array parameter given twice, or a boolean other than `true`/`false`, is accepted by the
//   reference (it picks a value); we refuse it (the XRPC spec's encodings, no silent guess);
// - the reference drops empty parameter values; we keep them as empty strings;
// - the reference parses integers leniently (`1.5`, `1e2`, ` 7`); we take decimal digits only.
const KNOWN_DIFFERENCES: Record<
  string,
  { ours: [number, string | undefined]; ref: [number, string | undefined] }
> = {
  'oversized body': { ours: [413, 'PayloadTooLarge'], ref: [413, 'PayloadTooLargeError'] },
  'bad JSON': { ours: [400, 'InvalidRequest'], ref: [400, 'SyntaxError'] },
  'scalar param repeated': { ours: [400, 'InvalidRequest'], ref: [200, undefined] },
  'boolean garbage': { ours: [400, 'InvalidRequest'], ref: [200, undefined] },
  // The reference drops empty parameter values, so six `tags=` are no array at all there (the
  // handler runs and answers NoSuchName); we keep them, and six is over the array's maxLength.
  // The reference reads an integer parameter leniently (`1.5`, `1e2`, ` 7` reach the handler,
  // which answers NoSuchName); we take decimal digits only. Both refuse `0x10` and 20 digits.
  'integer 1.5': { ours: [400, 'InvalidRequest'], ref: [400, 'NoSuchName'] },
  'integer 1e2': { ours: [400, 'InvalidRequest'], ref: [400, 'NoSuchName'] },
  'integer with a space': { ours: [400, 'InvalidRequest'], ref: [400, 'NoSuchName'] },
  'empty values over an array cap': { ours: [400, 'InvalidRequest'], ref: [400, 'NoSuchName'] },
}

async function ask(
  base: string,
  method: string,
  path: string,
  body: string | undefined,
  headers: Record<string, string>,
) {
  const res = await fetch(base + path, { method, body, headers })
  const text = await res.text()
  let parsed: { error?: string; message?: string } = {}
  try {
    parsed = JSON.parse(text)
  } catch {}
  return { status: res.status, error: parsed.error, message: parsed.message }
}

describe('differential: our server vs @atproto/xrpc-server on the same bad requests', () => {
  it.each(CASES)('%s', async (_name, method, path, body, headers, sameMessage) => {
    const a = await ask(ours.url, method, path, body, headers)
    const b = await ask(ref.url, method, path, body, headers)
    const known = KNOWN_DIFFERENCES[_name]
    if (known) {
      expect({ ours: [a.status, a.error], ref: [b.status, b.error] }).toEqual(known)
      return
    }
    expect({ status: a.status, error: a.error }).toEqual({ status: b.status, error: b.error })
    if (sameMessage) expect(a.message).toBe(b.message)
    else expect(typeof a.message).toBe('string')
  })
})

describe('differential on generated query strings (fast-check)', () => {
  it('same status and error name for the same parameters', async () => {
    const integer = fc.oneof(
      fc.integer({ min: -5, max: 120 }).map(String),
      fc.constantFrom('abc', '-0', '007'),
    )
    const params = fc.record(
      {
        name: fc.oneof(fc.string({ minLength: 1, maxLength: 25 }), fc.constantFrom('nobody', 'a&b', '%zz')),
        limit: integer,
        flag: fc.constantFrom('true', 'false'),
        // Non-empty: the reference drops empty values (pinned in the table above), we keep them.
        tags: fc.array(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 7 }),
      },
      { requiredKeys: [] },
    )
    await fc.assert(
      fc.asyncProperty(params, async (p) => {
        const sp = new URLSearchParams()
        for (const [k, v] of Object.entries(p)) {
          if (Array.isArray(v)) for (const x of v) sp.append(k, x)
          else sp.append(k, v)
        }
        const path = `/xrpc/com.example.get?${sp}`
        const a = await ask(ours.url, 'GET', path, undefined, {})
        const b = await ask(ref.url, 'GET', path, undefined, {})
        expect({ path, status: a.status, error: a.error }).toEqual({ path, status: b.status, error: b.error })
      }),
      { numRuns: 80, seed: 16 },
    )
  })
})
