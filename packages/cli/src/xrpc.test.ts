// `rsky xrpc` in-process against an @rsky/xrpc server on loopback.
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { XrpcError, XrpcServer } from '@rsky/xrpc'
import { type ServingNode, serveNode } from '@rsky/xrpc/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from './main.ts'

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
  })
  return { code, stdout, stderr }
}

const LEXICONS = [
  {
    lexicon: 1,
    id: 'com.example.hello',
    defs: {
      main: {
        type: 'query',
        parameters: {
          type: 'params',
          required: ['name'],
          properties: { name: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } },
        },
        output: { encoding: 'application/json' },
        errors: [{ name: 'NoSuchName' }],
      },
    },
  },
  {
    lexicon: 1,
    id: 'com.example.echo',
    defs: { main: { type: 'procedure', input: { encoding: '*/*' }, output: { encoding: '*/*' } } },
  },
]

let host: ServingNode
beforeAll(async () => {
  const server = new XrpcServer({ lexicons: LEXICONS })
  server.add('com.example.hello', ({ params, request }) => {
    if (params.name === 'nobody') throw new XrpcError('NoSuchName', 'no such name', { status: 400 })
    return {
      body: { hello: params.name, tags: params.tags ?? [], auth: request.header('authorization') ?? null },
    }
  })
  server.add('com.example.echo', async ({ input }) => {
    const { encoding, body } = input as { encoding: string; body: ReadableStream<Uint8Array> }
    return { encoding, body: new Uint8Array(await new Response(body).arrayBuffer()) }
  })
  host = await serveNode(server)
})
afterAll(() => host.close())

describe('rsky xrpc', () => {
  it('calls a query with params (repeated = array) and prints the JSON answer', async () => {
    const r = await run(
      'xrpc',
      'com.example.hello',
      'name=alice',
      'tags=a',
      'tags=b',
      '--service',
      host.url,
      '--token',
      'T',
    )
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ hello: 'alice', tags: ['a', 'b'], auth: 'Bearer T' })
    const j = await run('xrpc', 'com.example.hello', 'name=bob', '--service', host.url, '--json')
    expect(JSON.parse(j.stdout)).toMatchObject({ status: 200, data: { hello: 'bob' } })
  })

  it('sends a file as bytes and saves a binary answer with --out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsky-xrpc-'))
    const src = join(dir, 'in.bin')
    const dst = join(dir, 'out.bin')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(src, new Uint8Array([1, 2, 3, 4]))
    const r = await run(
      'xrpc',
      'com.example.echo',
      '--input',
      `@${src}`,
      '--encoding',
      'image/png',
      '--out',
      dst,
      '--service',
      host.url,
    )
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('image/png')
    expect(new Uint8Array(readFileSync(dst))).toEqual(new Uint8Array([1, 2, 3, 4]))
  })

  it('an XRPC error exits 1 naming the error; bad usage exits 2; unreachable exits 2', async () => {
    const e = await run('xrpc', 'com.example.hello', 'name=nobody', '--service', host.url)
    expect(e.code).toBe(1)
    expect(e.stderr).toContain('400 NoSuchName: no such name')
    const missing = await run('xrpc', 'com.example.nothing', '--service', host.url, '--json')
    expect(missing.code).toBe(1)
    expect(JSON.parse(missing.stdout).failure.code).toBe('MethodNotImplemented')
    expect((await run('xrpc', 'not an nsid')).code).toBe(2)
    expect((await run('xrpc', 'com.example.hello', 'novalue', '--service', host.url)).code).toBe(2)
    expect((await run('xrpc', 'com.example.hello', 'name=x', '--service', 'http://127.0.0.1:1')).code).toBe(2)
  })
})
