// The directory client's limits and parsing, against a small loopback server that misbehaves on
// purpose: slow answers, oversized bodies, junk JSON, and a paged export.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  PlcClient,
  PlcHttpError,
  PlcNetworkError,
  PlcNotFoundError,
  PlcResponseInvalidError,
  PlcResponseTooLargeError,
  PlcTimeoutError,
} from '../src/index.ts'
import { entry, linearLog, T0 } from './fixtures.ts'

const { did, ops, log } = await linearLog(4)
let server: Server
let url: string
const seen: string[] = []

function handle(req: IncomingMessage, res: ServerResponse) {
  const u = new URL(req.url ?? '/', 'http://x')
  seen.push(u.pathname + u.search)
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  if (u.pathname === '/export') {
    // five entries, served `count` at a time after the numeric cursor
    const after = Number(u.searchParams.get('after') ?? 0)
    const count = Number(u.searchParams.get('count'))
    const lines = log
      .map((e, i) => ({ ...e, type: 'indexed_op', seq: i + 1 }))
      .filter((e) => e.seq > after)
      .slice(0, count)
    res.writeHead(200, { 'content-type': 'application/jsonlines' })
    res.end(lines.map((l) => JSON.stringify(l)).join('\n'))
    return
  }
  if (u.pathname === `/${did}/log/audit`) return json(200, log)
  if (u.pathname === `/${did}/log/last`) return json(200, ops.at(-1))
  if (u.pathname === '/did:plc:slowslowslowslowslowslow') return // never answers
  if (u.pathname === '/did:plc:bigbigbigbigbigbigbigbigb/data') return json(200, { junk: 'x'.repeat(10_000) })
  if (u.pathname === '/did:plc:junkjunkjunkjunkjunkjunk/log/last') {
    res.writeHead(200)
    res.end('{not json')
    return
  }
  if (u.pathname === '/did:plc:badopbadopbadopbadopbado/log/last') return json(200, { ...ops[1], sig: 7 })
  if (req.method === 'POST') return json(400, { message: 'Invalid signature on op' })
  json(404, { message: `DID not registered: ${u.pathname.slice(1)}` })
}

beforeAll(async () => {
  server = createServer(handle)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
})

describe('PlcClient', () => {
  it('reads the audit log and the last operation', async () => {
    const client = new PlcClient({ url })
    expect(await client.getAuditLog(did)).toEqual(log)
    expect(await client.getLastOperation(did)).toEqual(ops.at(-1))
  })

  it('names every failure', async () => {
    const client = new PlcClient({ url, timeoutMs: 300, maxBytes: 1000 })
    await expect(client.getDocument('did:plc:slowslowslowslowslowslow')).rejects.toBeInstanceOf(
      PlcTimeoutError,
    )
    await expect(client.getDocumentData('did:plc:bigbigbigbigbigbigbigbigb')).rejects.toBeInstanceOf(
      PlcResponseTooLargeError,
    )
    await expect(client.getLastOperation('did:plc:junkjunkjunkjunkjunkjunk')).rejects.toBeInstanceOf(
      PlcResponseInvalidError,
    )
    await expect(client.getLastOperation('did:plc:badopbadopbadopbadopbado')).rejects.toBeInstanceOf(
      PlcResponseInvalidError,
    )
    const notFound = await client.getAuditLog('did:plc:nonenonenonenonenonenone').catch((e: unknown) => e)
    expect(notFound).toBeInstanceOf(PlcNotFoundError)
    expect((notFound as PlcNotFoundError).status).toBe(404)
    const refused = await client.submit(did, ops[1]!).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(PlcHttpError)
    expect((refused as PlcHttpError).serverMessage).toBe('Invalid signature on op')
    await expect(
      new PlcClient({ url: 'http://127.0.0.1:1', timeoutMs: 2000 }).getDocument(did),
    ).rejects.toBeInstanceOf(PlcNetworkError)
    await expect(client.getDocument('did:web:example.com')).rejects.toBeInstanceOf(TypeError)
    const abort = new AbortController()
    abort.abort(new Error('caller gave up'))
    await expect(client.getAuditLog(did, { signal: abort.signal })).rejects.toThrow('caller gave up')
    expect(() => new PlcClient({ url: 'ftp://x' })).toThrow(TypeError)
  })

  it('pages the export by sequence number and stops on a short page or maxPages', async () => {
    const client = new PlcClient({ url })
    seen.length = 0
    const pages = []
    for await (const page of client.exportPages({ after: 0, count: 2 })) pages.push(page.map((e) => e.seq))
    expect(pages).toEqual([[1, 2], [3, 4], [5]])
    expect(seen).toEqual(['/export?count=2&after=0', '/export?count=2&after=2', '/export?count=2&after=4'])
    const capped = []
    for await (const page of client.exportPages({ after: 0, count: 1, maxPages: 2 })) capped.push(page.length)
    expect(capped).toEqual([1, 1])
    await expect(client.exportPages({ count: 1001 }).next()).rejects.toBeInstanceOf(RangeError)
    expect(entry(did, ops[0]!, T0).cid).toBe(log[0]!.cid)
  })
})
