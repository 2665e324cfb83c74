// A small host on loopback made of real @rsky/repo repositories: `listRepos`, `getRepo`,
// `listReposByCollection` (or a 501 when told to lack it), `subscribeRepos` over a real WebSocket,
// and a producer that signs commits as fast as the stream takes them (it waits only while the
// socket's send buffer is full, so a slow consumer is met with TCP backpressure, as from a relay).
// `/keys` hands out the signing keys, so an engine in another process can check signatures.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Secp256k1Keypair } from '@rsky/crypto'
import { exportRepoCarBytes, MemoryRepoStorage, type RecordWrite, Repo } from '@rsky/repo'
import { encodeMessageFrame } from '@rsky/sync'
import { Tid } from '@rsky/syntax'
import { type WebSocket, WebSocketServer } from 'ws'
import { commitBody } from './fixtures.ts'

export interface HostAccount {
  did: string
  keypair: Secp256k1Keypair
  repo: Repo
  storage: MemoryRepoStorage
  /** Paths held, for picking updates and deletes. */
  paths: string[]
  n: number
}

export interface SyntheticHostOptions {
  accounts: number
  seed: number
  /** Collections records are made in (account i only ever writes `collections[i % length]`). */
  collections?: readonly string[]
  /** Answer listReposByCollection (default true); false: 501 MethodNotImplemented. */
  byCollection?: boolean
  /** Frames kept for replay to a reconnecting cursor (default all). */
  keepFrames?: number
  /** Producer pauses while a socket holds more than this many unsent bytes (default 256 KiB). */
  highWater?: number
}

const B32 = 'abcdefghijklmnopqrstuvwxyz234567'

function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export class SyntheticHost {
  readonly accounts: HostAccount[] = []
  readonly #o: Required<SyntheticHostOptions>
  readonly #rand: () => number
  readonly #frames: { seq: number; frame: Uint8Array }[] = []
  readonly #sockets = new Set<WebSocket>()
  #server: Server | undefined
  #wss: WebSocketServer | undefined
  #seq = 0
  #serial: Promise<unknown> = Promise.resolve()
  #producing: Promise<void> | undefined
  #stop = false
  /** Commits produced (and their record ops) since the host started. */
  produced = 0
  producedOps = 0
  url = ''

  private constructor(o: SyntheticHostOptions) {
    this.#o = {
      collections: ['app.bsky.feed.post'],
      byCollection: true,
      keepFrames: Number.MAX_SAFE_INTEGER,
      highWater: 256 * 1024,
      ...o,
    }
    this.#rand = rng(o.seed)
  }

  static async start(o: SyntheticHostOptions): Promise<SyntheticHost> {
    const h = new SyntheticHost(o)
    for (let i = 0; i < o.accounts; i++) await h.#addAccount(i)
    await h.#listen()
    return h
  }

  /** A new account (its first commit is not streamed: a subscriber first meets it at its next commit). */
  addAccount(): Promise<HostAccount> {
    return this.#locked(async () => {
      await this.#addAccount(this.accounts.length)
      return this.accounts[this.accounts.length - 1] as HostAccount
    })
  }

  /** One commit on account `index` (default a random one), sent to every subscriber. */
  commitOn(index: number): Promise<void> {
    return this.#commit(index)
  }

  async #addAccount(i: number): Promise<void> {
    let id = ''
    for (let j = 0; j < 24; j++) id += B32[Math.floor(this.#rand() * 32)]
    const priv = new Uint8Array(32)
    for (let j = 0; j < 32; j++) priv[j] = Math.floor(this.#rand() * 256)
    priv[0] = (priv[0] as number) & 0x7f
    priv[31] = (priv[31] as number) | 1
    const keypair = Secp256k1Keypair.import(priv)
    const storage = new MemoryRepoStorage()
    const a: HostAccount = {
      did: `did:plc:${id}`,
      keypair,
      storage,
      repo: undefined as never,
      paths: [],
      n: 0,
    }
    a.repo = await Repo.create({ storage, did: a.did, keypair, writes: this.#writes(a, i, 3) })
    this.accounts.push(a)
  }

  #writes(a: HostAccount, index: number, creates?: number): RecordWrite[] {
    const collection = this.#o.collections[index % this.#o.collections.length] as string
    const out: RecordWrite[] = []
    const used = new Set<string>()
    const count = creates ?? 1 + Math.floor(this.#rand() * 4)
    for (let k = 0; k < count; k++) {
      const roll = creates === undefined ? this.#rand() : 1
      const free = a.paths.filter((p) => !used.has(p))
      if (roll < 0.2 && free.length > 2) {
        const path = free[Math.floor(this.#rand() * free.length)] as string
        used.add(path)
        a.paths = a.paths.filter((p) => p !== path)
        const [c, rkey] = path.split('/') as [string, string]
        out.push({ action: 'delete', collection: c, rkey })
      } else if (roll < 0.3 && free.length > 0) {
        const path = free[Math.floor(this.#rand() * free.length)] as string
        used.add(path)
        const [c, rkey] = path.split('/') as [string, string]
        out.push({ action: 'update', collection: c, rkey, record: { $type: c, text: `edit ${a.n++}` } })
      } else {
        const rkey = Tid.fromTime(1_700_000_000_000_000 + a.n++ * 1000, index % 1024).toString()
        a.paths.push(`${collection}/${rkey}`)
        used.add(`${collection}/${rkey}`)
        out.push({
          action: 'create',
          collection,
          rkey,
          record: {
            $type: collection,
            text: `record ${a.n} of a synthetic account`,
            createdAt: new Date(0).toISOString(),
          },
        })
      }
    }
    return out
  }

  /** Serialises repository changes and exports: an export never sees blocks a commit is removing. */
  #locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(fn)
    this.#serial = run.catch(() => {})
    return run
  }

  /** Signs one commit on a random account and sends it to every subscriber. */
  commitOne(): Promise<void> {
    return this.#commit(undefined)
  }

  /** One commit of exactly `writes` on account `index` (paths it creates or deletes are tracked). */
  commitWith(index: number, writes: RecordWrite[]): Promise<void> {
    return this.#commit(index, writes)
  }

  /** Several commits whose frames are sent together, in one write to each socket. */
  async commitTogether(list: { index: number; writes: RecordWrite[] }[]): Promise<void> {
    this.#holding = []
    try {
      for (const c of list) await this.#commit(c.index, c.writes)
    } finally {
      const frames = this.#holding
      this.#holding = undefined
      for (const ws of this.#sockets) for (const f of frames) ws.send(f)
    }
  }

  #holding: Uint8Array[] | undefined

  #commit(at: number | undefined, given?: RecordWrite[]): Promise<void> {
    return this.#locked(async () => {
      const index = at ?? Math.floor(this.#rand() * this.accounts.length)
      const a = this.accounts[index] as HostAccount
      if (given)
        for (const w of given) {
          const path = `${w.collection}/${w.rkey}`
          if (w.action === 'delete') a.paths = a.paths.filter((p) => p !== path)
          else if (w.action === 'create') a.paths.push(path)
        }
      const data = await a.repo.formatCommit(given ?? this.#writes(a, index), a.keypair)
      a.repo = await a.repo.applyCommit(data)
      const seq = ++this.#seq
      const frame = encodeMessageFrame('#commit', commitBody(a.did, seq, data))
      this.#frames.push({ seq, frame })
      if (this.#frames.length > this.#o.keepFrames)
        this.#frames.splice(0, this.#frames.length - this.#o.keepFrames)
      this.produced++
      this.producedOps += data.ops.length
      if (this.#holding) this.#holding.push(frame)
      else for (const ws of this.#sockets) ws.send(frame)
    })
  }

  /** Produces commits as fast as the subscribers take them, until `stopProducing` or `limit` commits. */
  produce(opts: { limit?: number } = {}): void {
    this.#stop = false
    const limit = opts.limit ?? Number.MAX_SAFE_INTEGER
    this.#producing ??= (async () => {
      let made = 0
      while (!this.#stop && made < limit) {
        if ([...this.#sockets].some((ws) => ws.bufferedAmount > this.#o.highWater)) {
          await new Promise((r) => setTimeout(r, 2))
          continue
        }
        await this.commitOne()
        made++
        // let socket writes and HTTP requests run between commits
        if (made % 8 === 0) await new Promise((r) => setImmediate(r))
      }
    })().finally(() => {
      this.#producing = undefined
    })
  }

  async stopProducing(): Promise<void> {
    this.#stop = true
    await this.#producing
  }

  /** Every record the host holds, as `did collection/rkey cid` lines. */
  async held(): Promise<string[]> {
    return this.#locked(async () => {
      const out: string[] = []
      for (const a of this.accounts)
        for await (const leaf of a.repo.data.walkLeaves())
          out.push(`${a.did} ${leaf.key} ${leaf.value.toString()}`)
      return out
    })
  }

  /** Sockets subscribed now. */
  get subscribers(): number {
    return this.#sockets.size
  }

  /** Resolves once at least one socket is subscribed (a subscriber with no cursor starts at the next event). */
  async subscribed(timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs
    while (this.#sockets.size === 0) {
      if (Date.now() > end) throw new Error('no subscriber')
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  /** DIDs holding a record of `collection` now. */
  didsWith(collection: string): string[] {
    return this.accounts.filter((a) => a.paths.some((p) => p.startsWith(`${collection}/`))).map((a) => a.did)
  }

  keys(): Record<string, string> {
    return Object.fromEntries(this.accounts.map((a) => [a.did, a.keypair.did()]))
  }

  async #listen(): Promise<void> {
    const server = createServer((req, res) => {
      this.#http(req, res).catch((err) => {
        res.statusCode = 500
        res.end(JSON.stringify({ error: 'InternalServerError', message: String(err) }))
      })
    })
    const wss = new WebSocketServer({ noServer: true })
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x')
      if (url.pathname !== '/xrpc/com.atproto.sync.subscribeRepos') {
        socket.destroy()
        return
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const cursor = url.searchParams.get('cursor')
        // replay after the cursor, then live: one synchronous step, so nothing falls between
        if (cursor !== null) for (const f of this.#frames) if (f.seq > Number(cursor)) ws.send(f.frame)
        this.#sockets.add(ws)
        ws.on('close', () => this.#sockets.delete(ws))
        ws.on('error', () => this.#sockets.delete(ws))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    this.#server = server
    this.#wss = wss
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  async #http(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x')
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    const page = (dids: string[]): void => {
      const limit = Number(url.searchParams.get('limit') ?? 500)
      const from = Number(url.searchParams.get('cursor') ?? 0)
      const part = dids.slice(from, from + Math.min(limit, 7)) // small pages: paging is exercised
      const next = from + part.length
      json(200, {
        repos: part.map((did) => ({ did })),
        ...(next < dids.length ? { cursor: String(next) } : {}),
      })
    }
    switch (url.pathname) {
      case '/xrpc/_health':
        return json(200, { version: 'synthetic' })
      case '/keys':
        return json(200, this.keys())
      case '/xrpc/com.atproto.sync.listRepos':
        return page(this.accounts.map((a) => a.did))
      case '/xrpc/com.atproto.sync.listReposByCollection': {
        if (!this.#o.byCollection)
          return json(501, { error: 'MethodNotImplemented', message: 'Method Not Implemented' })
        const collection = url.searchParams.get('collection')
        if (collection === null) return json(400, { error: 'InvalidRequest', message: 'collection required' })
        return page(this.didsWith(collection))
      }
      case '/xrpc/com.atproto.sync.getRepo': {
        const a = this.accounts.find((x) => x.did === url.searchParams.get('did'))
        if (a === undefined) return json(400, { error: 'RepoNotFound', message: 'no such repo' })
        const car = await this.#locked(() => exportRepoCarBytes(a.storage))
        res.writeHead(200, { 'content-type': 'application/vnd.ipld.car' })
        res.end(car)
        return
      }
      default:
        return json(404, { error: 'MethodNotImplemented', message: 'not here' })
    }
  }

  async close(): Promise<void> {
    await this.stopProducing()
    for (const ws of this.#sockets) ws.terminate()
    this.#wss?.close()
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()))
    this.#server?.closeAllConnections()
  }
}
