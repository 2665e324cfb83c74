// A hostile host: forged and truncated repositories, a getRepo that never ends or claims 2 GB, a
// forged live commit. Each is refused with its reason and nothing of it is written; the rest of the
// run goes on.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readCar, writeCar } from '@rsky/car'
import { Secp256k1Keypair } from '@rsky/crypto'
import { authenticateCommit } from '@rsky/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  getRepoSource,
  MirrorEngine,
  prepareFrame,
  readVerifiedRepo,
  SqliteMirrorStore,
} from '../src/index.ts'
import { carOf, codeOf, commitFrame, keysOf, makeAccount, once, type TestAccount } from './fixtures.ts'

const DID = 'did:plc:hostile00000000000000000'
let good: TestAccount
let car: Uint8Array

beforeAll(async () => {
  good = await makeAccount(DID, 20, '9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c')
  car = await carOf(good)
})

describe('readVerifiedRepo: hostile repository CARs', () => {
  it('a valid repository gives every record, in key order', async () => {
    const r = await readVerifiedRepo({ did: DID, car: once(car), keys: keysOf(good) })
    expect(r.records).toHaveLength(20)
    expect(r.records.map((x) => x.rkey)).toEqual([...r.records.map((x) => x.rkey)].sort())
  })

  const cases: [string, () => Uint8Array, string, string?][] = [
    [
      'a block that does not hash to its CID',
      () => {
        const forged = car.slice()
        forged[forged.length - 5] = (forged[forged.length - 5] as number) ^ 0xff
        return forged
      },
      'BAD_REPO',
    ],
    ['truncated', () => car.subarray(0, car.length - 9), 'BAD_REPO'],
    ['empty', () => new Uint8Array(0), 'BAD_REPO'],
    ['garbage', () => new TextEncoder().encode('<html>not a car</html>'), 'BAD_REPO'],
    [
      'a record as the root instead of the commit',
      () => {
        const { roots, blocks } = readCar(car)
        const other = [...blocks.cids()].find((c) => !c.equals(roots[0]))
        return writeCar([other as never], blocks)
      },
      'BAD_REPO',
    ],
    [
      'a missing record block',
      () => {
        const { roots, blocks } = readCar(car)
        const rec = [...blocks.cids()].find((c) => c.code === 0x71 && !c.equals(roots[0]))
        const kept = [...blocks.entries()].filter(([c]) => !c.equals(rec))
        return writeCar(roots, kept.map(([cid, bytes]) => ({ cid, bytes })) as never)
      },
      'BAD_REPO',
    ],
    ['another DID', () => car, 'REPO_DID_MISMATCH', 'did:plc:someoneelse0000000000000'],
  ]
  for (const [name, make, code, did] of cases) {
    it(`${name}: ${code}`, async () => {
      const bytes = make()
      expect(await codeOf(readVerifiedRepo({ did: did ?? DID, car: once(bytes), keys: keysOf(good) }))).toBe(
        code,
      )
    })
  }

  it('signed by another key: BAD_SIGNATURE (checked again on a fresh key first)', async () => {
    const other = Secp256k1Keypair.create()
    let asked = 0
    const keys = {
      resolveAtprotoKey: () => {
        asked++
        return other.did()
      },
    }
    expect(await codeOf(readVerifiedRepo({ did: DID, car: once(car), keys }))).toBe('BAD_SIGNATURE')
    expect(asked).toBe(2)
  })

  it('no key to be had: KEY_UNAVAILABLE', async () => {
    const keys = {
      resolveAtprotoKey: () => {
        throw new Error('plc down')
      },
    }
    expect(await codeOf(readVerifiedRepo({ did: DID, car: once(car), keys }))).toBe('KEY_UNAVAILABLE')
  })
})

describe('getRepoSource: a host that misbehaves', () => {
  let server: Server
  let url: string
  beforeAll(async () => {
    server = createServer((req, res) => {
      const did = new URL(req.url ?? '/', 'http://x').searchParams.get('did')
      if (did === 'did:plc:huge') {
        // claims 2 GB and sends a trickle
        res.writeHead(200, {
          'content-type': 'application/vnd.ipld.car',
          'content-length': String(2 * 1024 ** 3),
        })
        res.write(car.subarray(0, 10))
        return
      }
      if (did === 'did:plc:endless') {
        // never ends: the whole repository, then a section that claims 1 MB and arrives a byte
        // every 20 ms, forever (until the client hangs up)
        res.writeHead(200, { 'content-type': 'application/vnd.ipld.car' })
        res.write(car)
        res.write(new Uint8Array([0xc0, 0x84, 0x3d]))
        const t = setInterval(() => res.write(new Uint8Array([1])), 20)
        res.on('close', () => clearInterval(t))
        return
      }
      if (did === 'did:plc:stall') {
        res.writeHead(200, { 'content-type': 'application/vnd.ipld.car' })
        res.write(car.subarray(0, 10))
        return
      }
      if (did === 'did:plc:flood') {
        res.writeHead(200, { 'content-type': 'application/vnd.ipld.car' })
        const chunk = new Uint8Array(64 * 1024)
        const t = setInterval(() => res.write(chunk), 1)
        res.on('close', () => clearInterval(t))
        return
      }
      if (did === 'did:plc:gone') {
        res.writeHead(400, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: 'RepoDeactivated', message: 'Repo has been deactivated' }))
        return
      }
      res.writeHead(200, { 'content-type': 'application/vnd.ipld.car', 'content-length': String(car.length) })
      res.end(car)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })

  async function drain(did: string, limits: Parameters<typeof getRepoSource>[1]): Promise<string> {
    const source = getRepoSource(url, limits)
    return codeOf(
      (async () => {
        for await (const _ of await source(did, new AbortController().signal)) {
        }
      })(),
    )
  }

  it('a 2 GB content-length is refused before reading: FETCH_TOO_LARGE', async () => {
    expect(await drain('did:plc:huge', { maxBytes: 1024 * 1024 })).toBe('FETCH_TOO_LARGE')
  })
  it('a getRepo that never ends is cut off: FETCH_TIMEOUT', async () => {
    expect(await drain('did:plc:endless', { totalTimeoutMs: 300, idleTimeoutMs: 1_000 })).toBe(
      'FETCH_TIMEOUT',
    )
  })
  it('a getRepo that stalls is cut off: FETCH_TIMEOUT', async () => {
    expect(await drain('did:plc:stall', { idleTimeoutMs: 200 })).toBe('FETCH_TIMEOUT')
  })
  it('more bytes than the cap, without a length: FETCH_TOO_LARGE', async () => {
    expect(await drain('did:plc:flood', { maxBytes: 512 * 1024 })).toBe('FETCH_TOO_LARGE')
  })
  it('an XRPC error: FETCH_FAILED with the host error', async () => {
    expect(await drain('did:plc:gone', {})).toBe('FETCH_FAILED')
  })

  it('in one engine run the good repository lands and each bad one is parked with its reason', async () => {
    const store = SqliteMirrorStore.open(':memory:')
    const bad = ['did:plc:huge', 'did:plc:endless', 'did:plc:stall', 'did:plc:gone']
    const engine = new MirrorEngine({
      store,
      service: url,
      dids: [DID, ...bad],
      keys: keysOf(good),
      live: false,
      maxAttempts: 2,
      retryDelayMs: 10,
      fetchLimits: { maxBytes: 1024 * 1024, totalTimeoutMs: 400, idleTimeoutMs: 200 },
    })
    await engine.start()
    await engine.idle(20_000)
    await engine.stop()
    expect(store.mirrorRepo(DID)?.phase).toBe('active')
    const s = store.status()
    expect(s.records).toBe(20)
    for (const did of bad) {
      const r = store.mirrorRepo(did)
      expect(r?.phase, did).toBe('parked')
      expect(r?.reason, did).toMatch(/FETCH_/)
    }
    // a host's own refusal parks at once, without using up the retries
    expect(store.mirrorRepo('did:plc:gone')?.attempts).toBe(1)
    store.close()
  })
})

describe('live: a forged commit is refused and never written', () => {
  it('a commit signed by another key is rejected BAD_SIGNATURE; the honest next one breaks no chain', async () => {
    const a = await makeAccount('did:plc:livehostile0000000000000', 3)
    const keys = keysOf(a)
    const store = SqliteMirrorStore.open(':memory:')
    store.addRepos([a.did])
    const r0 = await readVerifiedRepo({ did: a.did, car: once(await carOf(a)), keys })
    store.completeBackfill(r0)
    // forged: the same account's next commit, signed by someone else
    const honestKey = a.keypair
    a.keypair = Secp256k1Keypair.create()
    const forged = await commitFrame(a, 10, 100, 2)
    a.keypair = honestKey
    const opts = { keys, authenticator: { authenticateCommit }, maxFrameSize: 1 << 20, wanted: () => true }
    const item = await prepareFrame(forged.frame, opts).item
    expect(item).toMatchObject({ kind: 'rejected', code: 'BAD_SIGNATURE', did: a.did })
    expect(store.status().records).toBe(3)
    // an oversized frame is refused by size, with its seq (the cursor can move past it)
    const big = await prepareFrame(forged.frame, { ...opts, maxFrameSize: 100 }).item
    expect(big).toMatchObject({ kind: 'rejected', code: 'FRAME_TOO_LARGE', seq: 10 })
    // truncated frame: a bad frame, not a crash
    const cut = await prepareFrame(forged.frame.subarray(0, 40), opts).item
    expect(['bad-frame', 'rejected']).toContain(cut.kind)
    store.close()
  })
})
