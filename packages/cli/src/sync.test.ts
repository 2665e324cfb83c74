// `rsky sync status|records|run` in-process: bad --db and unreachable hosts are one line and exit 2;
// status and records read what a mirror database holds. (The engine end to end, killed and
// restarted as a child process, is tested in @rsky/mirror.)
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cidForCbor, encode } from '@rsky/dag-cbor'
import { SqliteMirrorStore } from '@rsky/mirror'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from './main.ts'

function capture(): {
  streams: { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean } }
  out: () => string
  err: () => string
} {
  let out = ''
  let err = ''
  return {
    streams: {
      stdout: {
        write: (s: string) => {
          out += s
          return true
        },
      },
      stderr: {
        write: (s: string) => {
          err += s
          return true
        },
      },
    },
    out: () => out,
    err: () => err,
  }
}

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rsky-sync-cli-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const DID = 'did:plc:abcdefghijklmnopqrstuvwx'
const VALUE = encode({ $type: 'app.bsky.feed.post', text: 'hi' })
const CID = cidForCbor(VALUE)

/** A SQLite mirror holding one repository with two posts (and the change feed when asked). */
function heldMirror(path: string, changeFeed = false): void {
  const store = SqliteMirrorStore.open(path, { changeFeed })
  store.addRepos([DID])
  store.completeBackfill({
    did: DID,
    rev: '3kaaaaaaaaa22',
    data: CID,
    records: ['3kaaaaaaaaa22', '3kaaaaaaaaa23'].map((rkey) => ({
      collection: 'app.bsky.feed.post',
      rkey,
      cid: CID,
      record: VALUE,
    })),
  })
  store.saveCursor('http://pds.example', 42)
  store.close()
}

describe('rsky sync', () => {
  it('a --db that cannot be opened: one line, exit 2', async () => {
    for (const cmd of [['status'], ['records'], ['run', '--service', 'http://127.0.0.1:9']]) {
      const c = capture()
      const code = await main(['sync', ...cmd, '--db', join(dir, 'no/such/dir/m.db')], c.streams)
      expect(code).toBe(2)
      expect(c.err().trim().split('\n')).toHaveLength(1)
      expect(c.err()).toMatch(/BAD_DATABASE/)
    }
  })

  it('an unreachable host: one line, exit 2', async () => {
    const c = capture()
    const code = await main(
      ['sync', 'run', '--service', 'http://127.0.0.1:9', '--db', join(dir, 'u.db')],
      c.streams,
    )
    expect(code).toBe(2)
    expect(c.err()).toMatch(/^rsky sync run: HOST_UNREACHABLE/)
    expect(c.err().trim().split('\n')).toHaveLength(1)
  })

  it('missing --service or --db is a usage error', async () => {
    const a = capture()
    expect(await main(['sync', 'run', '--db', join(dir, 'x.db')], a.streams)).toBe(2)
    expect(a.err()).toMatch(/--service is required/)
    const b = capture()
    expect(await main(['sync', 'status'], b.streams)).toBe(2)
    expect(b.err()).toMatch(/--db is required/)
  })

  it('a --rate-limit that is not a positive number is a usage error', async () => {
    for (const bad of ['0', '-2', 'fast']) {
      const c = capture()
      const code = await main(
        ['sync', 'run', '--service', 'http://127.0.0.1:9', '--db', join(dir, 'r.db'), `--rate-limit=${bad}`],
        c.streams,
      )
      expect(code).toBe(2)
      expect(c.err()).toMatch(/--rate-limit must be a positive number/)
    }
  })

  it('--scope-collection: a host without listReposByCollection is one line, exit 2; bad values are usage errors', async () => {
    // the reference PDS answers a method it lacks with 401 (it would proxy it to an AppView)
    const server = createServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' })
      res.end('{"error":"AuthMissing","message":"Authentication Required"}')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const c = capture()
      const code = await main(
        [
          'sync',
          'run',
          '--service',
          url,
          '--db',
          join(dir, 's.db'),
          '--scope-collection',
          'app.bsky.feed.post',
        ],
        c.streams,
      )
      expect(code).toBe(2)
      expect(c.err()).toMatch(/^rsky sync run: SCOPE_UNSUPPORTED: .*listReposByCollection/)
      expect(c.err().trim().split('\n')).toHaveLength(1)
    } finally {
      server.close()
    }
    for (const args of [
      ['--scope-collection', 'not an nsid'],
      ['--scope-collection', 'app.bsky.feed.post', '--dids', 'did:plc:abcdefghijklmnopqrstuvwx'],
    ]) {
      const c = capture()
      const code = await main(
        ['sync', 'run', '--service', 'http://127.0.0.1:9', '--db', join(dir, 's2.db'), ...args],
        c.streams,
      )
      expect(code).toBe(2)
      expect(c.err()).toMatch(/--scope-collection/)
    }
  })

  it('--lease: SQLite is one line and exit 2 (LEASE_UNSUPPORTED); bad lease options are usage errors', async () => {
    const c = capture()
    const code = await main(
      ['sync', 'run', '--service', 'http://127.0.0.1:9', '--db', join(dir, 'l.db'), '--lease'],
      c.streams,
    )
    expect(code).toBe(2)
    expect(c.err()).toMatch(/^rsky sync run: LEASE_UNSUPPORTED: .*Postgres/)
    expect(c.err().trim().split('\n')).toHaveLength(1)
    for (const [args, msg] of [
      [['--lease', '--shard', '0/2'], /--lease and --shard/],
      [['--owner', 'a'], /go with --lease/],
      [['--lease', '--partitions', '0'], /--partitions must be/],
      [['--lease', '--lease-ttl', '5'], /--lease-ttl must be/],
      [['--auth-threads=-1'], /--auth-threads must be/],
    ] as const) {
      const e = capture()
      expect(
        await main(
          ['sync', 'run', '--service', 'http://127.0.0.1:9', '--db', join(dir, 'l2.db'), ...args],
          e.streams,
        ),
      ).toBe(2)
      expect(e.err()).toMatch(msg)
    }
  })

  it('status and records read what the database holds', async () => {
    const path = join(dir, 'held.db')
    heldMirror(path)
    const did = DID
    const cid = CID

    const s = capture()
    expect(await main(['sync', 'status', '--db', path, '--json'], s.streams)).toBe(0)
    expect(JSON.parse(s.out())).toMatchObject({ cursor: 42, repos: { active: 1 }, records: 2, buffered: 0 })

    const r = capture()
    expect(await main(['sync', 'records', '--db', path, '--json'], r.streams)).toBe(0)
    const lines = r
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines).toEqual([
      { did, collection: 'app.bsky.feed.post', rkey: '3kaaaaaaaaa22', cid: cid.toString() },
      { did, collection: 'app.bsky.feed.post', rkey: '3kaaaaaaaaa23', cid: cid.toString() },
    ])
    const other = capture()
    expect(
      await main(['sync', 'records', '--db', path, '--did', 'did:plc:other', '--json'], other.streams),
    ).toBe(0)
    expect(other.out()).toBe('')
  })

  it('changes and ack: the change feed, oldest first, kept until acknowledged', async () => {
    const path = join(dir, 'feed.db')
    heldMirror(path, true)
    const did = DID
    const cid = CID

    const read = async (...args: string[]) => {
      const c = capture()
      expect(await main(['sync', 'changes', '--db', path, '--json', ...args], c.streams)).toBe(0)
      return c
        .out()
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l))
    }
    const all = await read()
    expect(all.map((c) => [c.action, c.rkey])).toEqual([
      ['reset', ''],
      ['create', '3kaaaaaaaaa22'],
      ['create', '3kaaaaaaaaa23'],
    ])
    expect(all[1]).toMatchObject({
      did,
      collection: 'app.bsky.feed.post',
      cid: cid.toString(),
      rev: '3kaaaaaaaaa22',
    })
    expect(await read('--limit', '1')).toEqual(all.slice(0, 1))
    expect(await read('--after', String(all[1].id))).toEqual(all.slice(2))

    // a consumer that applied the first two acknowledges them; the rest is printed again
    const a = capture()
    expect(await main(['sync', 'ack', '--db', path, '--id', String(all[1].id), '--json'], a.streams)).toBe(0)
    expect(JSON.parse(a.out())).toEqual({ acknowledged: all[1].id })
    expect(await read()).toEqual(all.slice(2))

    for (const [args, msg] of [
      [['ack', '--db', path], /--id is required/],
      [['ack', '--db', path, '--id', 'x'], /--id must be an integer/],
      [['changes', '--db', path, '--limit', '0'], /--limit must be an integer >= 1/],
    ] as const) {
      const e = capture()
      expect(await main(['sync', ...args], e.streams)).toBe(2)
      expect(e.err()).toMatch(msg)
    }
  })
})
