// The network commands end to end through the built `rsky` binary, against the official PDS and
// PLC directory running on loopback (@atproto/dev-env), never the public network. The child runs
// asynchronously: the servers live in this process and must keep answering while it runs.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TestNetworkNoAppView } from '@atproto/dev-env'
import { decodeFrame } from '@rsky/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { repoRoot } from './test-helpers.ts'

const bin = join(repoRoot, 'packages/cli/dist/bin.js')

type Did = `did:${string}:${string}`

interface Run {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs the built rsky; killed after `limitMs` so a hang fails the test instead of the run. */
function rsky(args: string[], limitMs = 30_000): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs)
    child.on('close', (status) => {
      clearTimeout(timer)
      done({ status, stdout, stderr })
    })
  })
}

const lines = (s: string): Array<Record<string, unknown>> =>
  s
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)

/** The failure document: the whole output of a one-document command, the last line of a listing. */
function lastJson(stdout: string): unknown {
  try {
    return JSON.parse(stdout)
  } catch {
    return lines(stdout).at(-1)
  }
}

/** A loopback HTTP server; resolves to its base URL. */
async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler)
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

describe.runIf(existsSync(bin) || process.env['CI'] === 'true')(
  'network commands against a loopback PDS and PLC',
  () => {
    let net: TestNetworkNoAppView
    let alice: Did
    let bob: Did
    let postUri: string
    let postCid: string
    let records: number
    /** A PLC directory that serves every document with bob's key in place of the real one. */
    let forgedPlc: { url: string; server: Server }
    let aliceKey: string
    const closed: { url: string } = { url: '' }
    const common = (): string[] => ['--plc', net.plc.url, '--pds', net.pds.url, '--timeout', '10']

    beforeAll(async () => {
      net = await TestNetworkNoAppView.create({})
      const sc = net.getSeedClient()
      await sc.createAccount('alice', {
        email: 'alice@test.com',
        handle: 'alice.test',
        password: 'alice-pass',
      })
      await sc.createAccount('bob', { email: 'bob@test.com', handle: 'bob.test', password: 'bob-pass' })
      alice = sc.dids['alice'] as Did
      bob = sc.dids['bob'] as Did
      const post = await sc.post(alice, 'hello from alice')
      postUri = post.ref.uriStr
      postCid = post.ref.cidStr
      await sc.post(alice, 'second post')
      await sc.like(alice, post.ref)
      await sc.follow(alice, bob)
      // What the PDS says alice holds (the seed client may add a profile): the count to compare with.
      records = 0
      for (const collection of [
        'app.bsky.feed.post',
        'app.bsky.feed.like',
        'app.bsky.graph.follow',
        'app.bsky.actor.profile',
      ]) {
        const url = `${net.pds.url}/xrpc/com.atproto.repo.listRecords?repo=${alice}&collection=${collection}`
        records += ((await (await fetch(url)).json()) as { records: unknown[] }).records.length
      }
      const docOf = async (did: string) =>
        (await (await fetch(`${net.plc.url}/${did}`)).json()) as Record<string, unknown>
      const bobDoc = await docOf(bob)
      aliceKey = ((await docOf(alice))['verificationMethod'] as Array<{ publicKeyMultibase: string }>)[0]!
        .publicKeyMultibase
      const bobMethod = (bobDoc['verificationMethod'] as Array<Record<string, unknown>>)[0]!
      forgedPlc = await serve(async (req, res) => {
        const doc = await docOf(req.url!.slice(1))
        const method = (doc['verificationMethod'] as Array<Record<string, unknown>>)[0]!
        method['publicKeyMultibase'] = bobMethod['publicKeyMultibase']
        method['type'] = bobMethod['type']
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify(doc))
      })
      const gone = await serve(() => {})
      closed.url = gone.url
      await new Promise((ok) => gone.server.close(ok))
    }, 60_000)

    afterAll(async () => {
      forgedPlc?.server.close()
      await net?.close()
    })

    it('resolve HANDLE: DID, handle verified both ways through the --pds resolveHandle, PDS and key', async () => {
      const r = await rsky(['resolve', 'alice.test', ...common(), '--json'])
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      const json = JSON.parse(r.stdout)
      expect(json).toMatchObject({
        valid: true,
        did: alice,
        handle: 'alice.test',
        handleVerified: true,
        handleMethod: 'pds',
        pds: net.pds.url,
      })
      expect(json.signingKey).toMatch(/^did:key:z/)
      expect(json.keys).toEqual([{ id: expect.stringMatching(/#atproto$/), didKey: json.signingKey }])
      expect(json.document.id).toBe(alice)
      const text = await rsky(['resolve', alice, ...common()])
      expect(text.status).toBe(0)
      expect(text.stdout).toMatch(/handle:\s+alice\.test \(verified both ways/)
    })

    it('resolve: an unknown handle is 1, an unknown DID is 1, an unreachable PLC is 2, a bad --plc is 2', async () => {
      const none = await rsky(['resolve', 'nobody.test', ...common(), '--json'])
      expect(none.status).toBe(1)
      expect(JSON.parse(none.stdout).failure).toMatchObject({ kind: 'invalid', code: 'HANDLE_NOT_FOUND' })
      const noDid = await rsky(['resolve', 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', ...common(), '--json'])
      expect(noDid.status).toBe(1)
      expect(JSON.parse(noDid.stdout).failure.code).toBe('DID_NOT_FOUND')
      const down = await rsky(['resolve', alice, '--plc', closed.url, '--timeout', '5', '--json'])
      expect(down.status).toBe(2)
      expect(JSON.parse(down.stdout).failure.kind).toBe('io')
      expect(down.stderr.trim().split('\n')).toHaveLength(1)
      expect((await rsky(['resolve', alice, '--plc', 'not a url'])).status).toBe(2)
      expect((await rsky(['resolve', 'not a handle!'])).status).toBe(2)
    })

    it('a service that accepts and never answers: --timeout ends the wait with exit 2', async () => {
      const hanging = await serve(() => {})
      try {
        const plc = await rsky(['resolve', alice, '--plc', hanging.url, '--timeout', '1', '--json'])
        expect(plc.status).toBe(2)
        expect(JSON.parse(plc.stdout).failure).toMatchObject({ kind: 'io', code: 'RESOLUTION_TIMEOUT' })
        const pds = await rsky([
          'resolve',
          'alice.test',
          '--plc',
          net.plc.url,
          '--pds',
          hanging.url,
          '--timeout',
          '1',
          '--json',
        ])
        expect(pds.status).toBe(2)
        expect(JSON.parse(pds.stdout).failure).toMatchObject({ kind: 'io', code: 'SERVICE_TIMEOUT' })
        const fh = await rsky(['firehose', '--service', hanging.url, '--timeout', '1', '--json'])
        expect(fh.status).toBe(2)
      } finally {
        hanging.server.closeAllConnections()
        hanging.server.close()
      }
    })

    it('a hostile PDS: every bad answer is a named error, exit 1 (bad data) or 2 (no answer), never a crash', async () => {
      // A PLC directory that points alice's PDS at a server answering as `mode` says.
      let mode = ''
      const realProof = new Uint8Array(
        await (
          await fetch(
            `${net.pds.url}/xrpc/com.atproto.sync.getRecord?did=${alice}&collection=app.bsky.feed.post&rkey=${postUri.split('/').pop()}`,
          )
        ).arrayBuffer(),
      )
      const bobRepo = new Uint8Array(
        await (await fetch(`${net.pds.url}/xrpc/com.atproto.sync.getRepo?did=${bob}`)).arrayBuffer(),
      )
      const pds = await serve((_req, res) => {
        if (mode === 'error') {
          res.statusCode = 500
          res.setHeader('content-type', 'application/json')
          res.end(JSON.stringify({ error: 'InternalServerError', message: 'boom' }))
          return
        }
        res.setHeader('content-type', 'application/vnd.ipld.car')
        if (mode === 'random') res.end(Buffer.from(new Uint8Array(2048).map((_, i) => (i * 151 + 3) & 0xff)))
        else if (mode === 'json') res.end('{"records": []}')
        else if (mode === 'empty') res.end()
        else if (mode === 'truncated') res.end(Buffer.from(realProof.subarray(0, realProof.length - 20)))
        else if (mode === 'other-repo') res.end(Buffer.from(bobRepo))
        else if (mode === 'stall') res.write(Buffer.from(realProof.subarray(0, 100))) // and never ends
      })
      const plc = await serve(async (req, res) => {
        const doc = (await (await fetch(`${net.plc.url}${req.url}`)).json()) as Record<string, unknown>
        ;(doc['service'] as Array<Record<string, unknown>>)[0]!['serviceEndpoint'] = pds.url
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify(doc))
      })
      const args = ['--plc', plc.url, '--pds', net.pds.url, '--timeout', '2', '--json']
      const table: Array<[string, string[], number, string]> = [
        ['random', ['get', postUri], 1, 'NOT_A_CAR'],
        ['json', ['get', postUri], 1, 'NOT_A_CAR'],
        ['empty', ['ls', alice], 1, 'NOT_A_CAR'],
        ['truncated', ['get', postUri], 1, 'CAR_TRUNCATED'],
        ['other-repo', ['ls', alice], 1, 'DID_MISMATCH'],
        [
          'other-repo',
          ['repo', 'export', alice, join(mkdtempSync(join(tmpdir(), 'rsky-net-')), 'x.car')],
          1,
          'DID_MISMATCH',
        ],
        ['error', ['get', postUri], 1, 'SERVICE_ERROR'],
        ['stall', ['get', postUri], 2, 'SERVICE_TIMEOUT'],
      ]
      try {
        for (const [m, argv, status, code] of table) {
          mode = m
          const r = await rsky([...argv, ...args])
          const what = `${m}: ${argv[0]}`
          expect(r.status, what).toBe(status)
          expect(lastJson(r.stdout), what).toMatchObject({ valid: false, failure: { code } })
          expect(r.stderr.trim().split('\n'), what).toHaveLength(1)
          expect(r.stderr, what).not.toMatch(/\n\s+at /)
        }
      } finally {
        for (const s of [pds, plc]) {
          s.server.closeAllConnections()
          s.server.close()
        }
      }
    })

    it('get AT-URI: the record, verified with the proof CAR against the signed commit', async () => {
      const r = await rsky(['get', postUri.replace(alice, 'alice.test'), ...common(), '--json'])
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      const json = JSON.parse(r.stdout)
      expect(json).toMatchObject({ valid: true, uri: postUri, cid: postCid, signature: 'valid' })
      expect(json.record).toMatchObject({ $type: 'app.bsky.feed.post', text: 'hello from alice' })
      const text = await rsky(['get', postUri, ...common()])
      expect(text.status).toBe(0)
      expect(JSON.parse(text.stdout).text).toBe('hello from alice')
    })

    it('get: an absent record is 1 (RECORD_NOT_FOUND); a document with the wrong key is 1 (BAD_SIGNATURE)', async () => {
      const absent = await rsky([
        'get',
        `at://${alice}/app.bsky.feed.post/3zzzzzzzzzzzz`,
        ...common(),
        '--json',
      ])
      expect(absent.status).toBe(1)
      expect(JSON.parse(absent.stdout).failure.code).toMatch(/RECORD_NOT_FOUND|NOT_FOUND/)
      const forged = await rsky(['get', postUri, '--plc', forgedPlc.url, '--pds', net.pds.url, '--json'])
      expect(forged.status).toBe(1)
      expect(JSON.parse(forged.stdout).failure).toMatchObject({ kind: 'invalid', code: 'BAD_SIGNATURE' })
      expect((await rsky(['get', 'at://alice.test', ...common()])).status).toBe(2)
    })

    it('ls: every record as JSON lines after the whole repository verified; one collection', async () => {
      const r = await rsky(['ls', 'alice.test', ...common(), '--json'])
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      const rows = lines(r.stdout)
      expect(rows).toHaveLength(records)
      expect(rows.map((x) => x['path'])).toContain(postUri.split('/').slice(3).join('/'))
      const posts = lines((await rsky(['ls', alice, 'app.bsky.feed.post', ...common(), '--json'])).stdout)
      expect(posts).toHaveLength(2)
      expect(posts.every((x) => String(x['path']).startsWith('app.bsky.feed.post/'))).toBe(true)
      const forged = await rsky(['ls', alice, '--plc', forgedPlc.url, '--pds', net.pds.url, '--json'])
      expect(forged.status).toBe(1)
      const out = lines(forged.stdout)
      expect(out).toHaveLength(1)
      expect(out[0]).toMatchObject({ valid: false, failure: { code: 'BAD_SIGNATURE' } })
    })

    it('repo export DID OUT.car: streamed and verified; the file verifies offline; a wrong key leaves no file', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rsky-net-'))
      const car = join(dir, 'alice.car')
      const r = await rsky(['repo', 'export', 'alice.test', car, ...common(), '--json'])
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, did: alice, records, signature: 'valid' })
      const key = `did:key:${aliceKey}`
      const offline = await rsky(['repo', 'verify', car, '--did', alice, '--json'])
      expect(offline.status).toBe(0)
      expect(JSON.parse(offline.stdout).records).toBe(records)
      expect(key).toMatch(/^did:key:z/)
      const bad = join(dir, 'forged.car')
      const forged = await rsky(['repo', 'export', alice, bad, '--plc', forgedPlc.url, '--pds', net.pds.url])
      expect(forged.status).toBe(1)
      expect(forged.stderr).toMatch(/BAD_SIGNATURE/)
      expect(readdirSync(dir).sort()).toEqual(['alice.car'])
      // OUT.car that cannot be written: exit 2, before the repository is read.
      for (const out of [dir, join(dir, 'no/such/dir/x.car')]) {
        const r2 = await rsky(['repo', 'export', 'alice.test', out, ...common(), '--json'])
        expect(r2.status, out).toBe(2)
        expect(JSON.parse(r2.stdout).failure.kind, out).toBe('io')
      }
    })

    it('firehose: JSON lines of the PDS stream from cursor 0, each commit verified; collection filter; sig and none', async () => {
      const base = [
        'firehose',
        '--service',
        net.pds.url,
        '--plc',
        net.plc.url,
        '--cursor',
        '0',
        '--timeout',
        '10',
      ]
      const full = await rsky([...base, '--limit', '6', '--json'])
      expect(full.stderr).toBe('')
      expect(full.status).toBe(0)
      const events = lines(full.stdout)
      expect(events).toHaveLength(6)
      const commits = events.filter((e) => e['type'] === 'commit')
      expect(commits.length).toBeGreaterThan(0)
      expect(commits.every((c) => c['verified'] === 'full')).toBe(true)
      // The official PDS follows an account's first #commit with a #sync of the same rev, which a
      // consumer ignores (sync spec: a rev lower than or equal to the last one processed): a
      // REJECTED STALE_REV line. Nothing else is rejected.
      for (const e of events.filter((x) => x['type'] === 'rejected')) {
        expect(e).toMatchObject({ code: 'STALE_REV', t: '#sync' })
      }
      // Each account's events in sequence order (accounts may interleave).
      for (const did of new Set(events.map((e) => e['did']))) {
        const seqs = events
          .filter((e) => e['did'] === did && typeof e['seq'] === 'number')
          .map((e) => e['seq'] as number)
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
      }

      const likes = lines(
        (await rsky([...base, '--collections', 'app.bsky.feed.like', '--limit', '1', '--json'])).stdout,
      )
      expect(likes).toHaveLength(1)
      expect(likes[0]).toMatchObject({ type: 'commit', did: alice })
      const ops = likes[0]!['ops'] as Array<Record<string, unknown>>
      expect(ops.every((o) => String(o['path']).startsWith('app.bsky.feed.like/'))).toBe(true)
      expect(ops[0]!['record']).toMatchObject({ $type: 'app.bsky.feed.like' })

      for (const mode of ['sig', 'none']) {
        const r = await rsky([
          ...base,
          '--verify',
          mode,
          '--collections',
          'app.bsky.feed.*',
          '--limit',
          '3',
          '--json',
        ])
        expect(r.status, mode).toBe(0)
        const got = lines(r.stdout)
        expect(got, mode).toHaveLength(3)
        expect(got.every((e) => e['type'] === 'commit' && e['verified'] === mode)).toBe(true)
      }
      const text = await rsky([...base, '--limit', '2'])
      expect(text.status).toBe(0)
      expect(text.stdout.trim().split('\n')).toHaveLength(2)
    })

    it('firehose runs until interrupted: SIGINT after the first lines ends it with exit 0', async () => {
      const child = spawn(
        process.execPath,
        [bin, 'firehose', '--service', net.pds.url, '--plc', net.plc.url, '--cursor', '0', '--json'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
      let stdout = ''
      let sent = false
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString()
        if (!sent && stdout.split('\n').length > 3) {
          sent = true
          child.kill('SIGINT')
        }
      })
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      const status = await new Promise<number | null>((done) => child.on('close', (code) => done(code)))
      clearTimeout(killer)
      expect(status).toBe(0)
      expect(lines(stdout).length).toBeGreaterThanOrEqual(3)
    })

    it('firehose through a relay that drops one commit: the gap is a REJECTED CHAIN_BREAK line and a RESYNCED one (--verify full)', async () => {
      // The PDS's own frames, replayed by a loopback relay that leaves out alice's second post.
      const frames: Uint8Array[] = []
      const upstream = new WebSocket(
        `${net.pds.url.replace(/^http/, 'ws')}/xrpc/com.atproto.sync.subscribeRepos?cursor=0`,
      )
      await new Promise<void>((done, fail) => {
        const timer = setTimeout(done, 3000)
        upstream.on('message', (data: Buffer) => {
          frames.push(new Uint8Array(data))
          if (frames.length >= 12) {
            clearTimeout(timer)
            done()
          }
        })
        upstream.on('error', fail)
      })
      upstream.close()
      const commits = frames.filter((f) => {
        const frame = decodeFrame(f)
        return frame.op === 1 && frame.t === '#commit' && (frame.body as { repo?: string }).repo === alice
      })
      const dropped = commits[commits.length - 3]! // the second post: the like and follow come after it
      const relay = await serve(async (req, res) => {
        // getRepo for the resync goes to the real PDS.
        const answer = await fetch(`${net.pds.url}${req.url}`)
        res.statusCode = answer.status
        res.end(Buffer.from(await answer.arrayBuffer()))
      })
      const wss = new WebSocketServer({ server: relay.server })
      wss.on('connection', (socket) => {
        for (const f of frames) if (f !== dropped) socket.send(f)
      })
      try {
        // Until the resync line (or 20 s), then SIGINT.
        const child = spawn(
          process.execPath,
          [bin, 'firehose', '--service', relay.url, '--plc', net.plc.url, '--cursor', '0', '--json'],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        )
        let stdout = ''
        let sent = false
        const stop = () => {
          if (!sent) {
            sent = true
            child.kill('SIGINT')
          }
        }
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString()
          if (stdout.includes('"type":"resync"')) stop()
        })
        const timer = setTimeout(stop, 20_000)
        const status = await new Promise<number | null>((done) => child.on('close', (code) => done(code)))
        clearTimeout(timer)
        const r = { status, stdout }
        expect(r.status).toBe(0)
        const out = lines(r.stdout)
        const gap = out.find((e) => e['type'] === 'rejected' && e['t'] === '#commit')
        expect(gap).toMatchObject({ did: alice, resync: true })
        const resync = out.find((e) => e['type'] === 'resync')
        expect(resync).toMatchObject({ did: alice, records })
        expect(gap!['code']).toBe('CHAIN_BREAK')
      } finally {
        for (const c of wss.clients) c.terminate()
        wss.close()
        relay.server.closeAllConnections()
        relay.server.close()
      }
    })

    it('firehose: a wrong key is a REJECTED line with the reason (sig), an unreachable service is 2, bad flags are 2', async () => {
      const base = [
        'firehose',
        '--service',
        net.pds.url,
        '--plc',
        forgedPlc.url,
        '--cursor',
        '0',
        '--timeout',
        '10',
      ]
      const r = await rsky([
        ...base,
        '--verify',
        'sig',
        '--collections',
        'app.bsky.feed.post',
        '--limit',
        '1',
        '--json',
      ])
      expect(r.status).toBe(0)
      const [line] = lines(r.stdout)
      expect(line).toMatchObject({ type: 'rejected', code: 'BAD_SIGNATURE', t: '#commit' })
      // Without a filter: alice's first #commit and the #sync after it, both refused with the reason.
      const all = lines((await rsky([...base, '--verify', 'sig', '--limit', '4', '--json'])).stdout)
      expect(all.map((e) => [e['type'], e['t'] ?? null, e['code'] ?? null])).toEqual([
        ['identity', null, null],
        ['account', null, null],
        ['rejected', '#commit', 'BAD_SIGNATURE'],
        ['rejected', '#sync', 'BAD_SIGNATURE'],
      ])
      const full = await rsky([
        ...base,
        '--verify',
        'full',
        '--collections',
        'app.bsky.feed.post',
        '--limit',
        '1',
        '--json',
      ])
      expect(lines(full.stdout)[0]).toMatchObject({ type: 'rejected', code: 'BAD_SIGNATURE' })
      const down = await rsky(['firehose', '--service', closed.url, '--timeout', '2', '--json'])
      expect(down.status).toBe(2)
      expect(lines(down.stdout).at(-1)).toMatchObject({ valid: false, failure: { kind: 'io' } })
      expect((await rsky(['firehose', '--verify', 'maybe'])).status).toBe(2)
      expect((await rsky(['firehose', '--cursor', '-1'])).status).toBe(2)
      expect((await rsky(['firehose', '--collections', 'not an nsid'])).status).toBe(2)
    })
  },
)
