// A backfill's checks off the thread that writes the store: the commit signature (one secp256k1
// verify per repository, about as long as writing a hundred records) and, for a small CAR, every
// block's hash. On a worker thread they overlap the walk and the writes of the other repositories
// in flight. Where no worker can start (or one fails) the checks run on the calling thread, with
// the same results: a worker only moves the work, it never changes an answer.
import { Worker } from 'node:worker_threads'
import { type CarReadOptions, readCarStream } from '@rsky/car'
import { verifySignature } from '@rsky/crypto'

/** @internal Main thread → worker: one signature, or one CAR's blocks, to check. */
export type SignatureRequest =
  | {
      id: number
      kind: 'sig'
      /** The did:key to check with. */
      key: string
      /** The signed bytes (the unsigned commit). */
      data: Uint8Array
      sig: Uint8Array
    }
  | { id: number; kind: 'car'; car: Uint8Array; limits: CarReadOptions | undefined }

/**
 * @internal Worker → main thread: 1 verifies (or every block hashes to its CID), 0 does not (with
 * the reader's error for a CAR), -1 the check threw otherwise (the main thread runs it itself).
 */
export interface SignatureAnswer {
  id: number
  ok: 1 | 0 | -1
  code?: string
  message?: string
}

/** What {@link SignatureChecker.checkCar} found. */
export type CarCheck = { ok: true } | { ok: false; code: string; message: string }

/** Checks signatures (`verifySignature` of @rsky/crypto) and CARs, maybe elsewhere than on this thread. */
export interface SignatureChecker {
  /**
   * Whether `sig` over `data` verifies with `didKey`.
   * @throws what `verifySignature` throws for a malformed did:key
   */
  verify(didKey: string, data: Uint8Array, sig: Uint8Array): Promise<boolean>
  /**
   * Whether the whole CAR `car` reads with every block hashed against its CID (`@rsky/car`'s
   * reader with `limits` and `verify: true`); otherwise the reader's error code and message.
   * Optional: without it a backfill checks the hashes as it reads.
   */
  checkCar?(car: Uint8Array, limits?: CarReadOptions): Promise<CarCheck>
}

interface Pending {
  req: SignatureRequest
  resolve: (answer: boolean | CarCheck) => void
  reject: (err: unknown) => void
}

/** The CAR check here and now. */
export async function checkCarHere(car: Uint8Array, limits: CarReadOptions | undefined): Promise<CarCheck> {
  try {
    await readCarStream(car, { ...limits, verify: true }).forEachBlock(() => {})
    return { ok: true }
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown }
    if (typeof e?.code !== 'string' || !(err instanceof Error)) throw err
    return { ok: false, code: e.code, message: err.message }
  }
}

/** The check here and now, settling its promise. */
function checkHere(p: Pending): void {
  const r = p.req
  if (r.kind === 'car') {
    checkCarHere(r.car, r.limits).then(p.resolve, p.reject)
    return
  }
  try {
    p.resolve(verifySignature(r.key, r.data, r.sig))
  } catch (err) {
    p.reject(err)
  }
}

function workerUrl(): URL {
  // From source (tests, tsx) the worker is the .ts file; from the build, dist/signature-worker.js.
  return import.meta.url.endsWith('.ts')
    ? new URL('./signature-worker.ts', import.meta.url)
    : new URL('./signature-worker.js', import.meta.url)
}

/** Loader flags (tsx, conditions) a worker needs to load TypeScript sources like this thread. */
function sourceArgs(argv: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (/^--(import|require|loader|experimental-loader|conditions)$|^-[rC]$/.test(a) && i + 1 < argv.length)
      out.push(a, argv[++i] as string)
    else if (/^--(import|require|loader|experimental-loader|conditions)=/.test(a)) out.push(a)
  }
  return [...out, '--conditions=source']
}

/**
 * One worker thread that checks signatures, started at the first check. Each request waits for
 * its answer; when the worker fails, what it held and everything after is checked on this thread.
 * Call {@link close} when done (the engine does, on stop); checks after that run on this thread.
 * @example
 * const sigs = new SignatureThread()
 * const ok = await sigs.verify(didKey, encodeUnsignedCommit(commit), commit.sig)
 * await sigs.close()
 */
export class SignatureThread implements SignatureChecker {
  readonly #pending = new Map<number, Pending>()
  readonly #url: URL
  #worker: Worker | undefined
  /** Closed, or the worker failed: every check runs here. */
  #here = false
  #next = 1

  constructor(opts: { workerUrl?: URL } = {}) {
    this.#url = opts.workerUrl ?? workerUrl()
  }

  /** Whether checks still go to a worker thread (false once closed or after a worker failed). */
  get threaded(): boolean {
    return !this.#here
  }

  verify(didKey: string, data: Uint8Array, sig: Uint8Array): Promise<boolean> {
    if (typeof didKey !== 'string') throw new TypeError('SignatureThread.verify: didKey must be a string')
    // copies: a view posted as it is would clone its whole buffer (a CAR slab, say)
    return this.#send({
      id: this.#next++,
      kind: 'sig',
      key: didKey,
      data: data.slice(),
      sig: sig.slice(),
    }) as Promise<boolean>
  }

  checkCar(car: Uint8Array, limits?: CarReadOptions): Promise<CarCheck> {
    if (!(car instanceof Uint8Array))
      throw new TypeError('SignatureThread.checkCar: car must be a Uint8Array')
    return this.#send({ id: this.#next++, kind: 'car', car, limits }) as Promise<CarCheck>
  }

  /** Sends `req` to the worker (or checks it here); `req` stays as it is, for a check here later. */
  #send(req: SignatureRequest): Promise<boolean | CarCheck> {
    return new Promise<boolean | CarCheck>((resolve, reject) => {
      const p: Pending = { req, resolve, reject }
      const worker = this.#here ? undefined : (this.#worker ?? this.#start())
      if (worker === undefined) return checkHere(p)
      if (this.#pending.size === 0) worker.ref()
      this.#pending.set(req.id, p)
      if (req.kind === 'car') {
        // a copy of its own, moved to the worker: the caller keeps reading `car`
        const car = req.car.slice()
        worker.postMessage({ ...req, car }, [car.buffer])
      } else worker.postMessage(req)
    })
  }

  #start(): Worker | undefined {
    let worker: Worker
    try {
      const fromSource = import.meta.url.endsWith('.ts')
      worker = new Worker(this.#url, fromSource ? { execArgv: sourceArgs(process.execArgv) } : {})
    } catch {
      this.#here = true
      return undefined
    }
    worker.unref()
    worker.on('message', (a: SignatureAnswer) => {
      const p = this.#pending.get(a.id)
      if (p === undefined) return
      this.#pending.delete(a.id)
      if (this.#pending.size === 0) worker.unref()
      if (a.ok === -1) checkHere(p)
      else if (p.req.kind === 'sig') p.resolve(a.ok === 1)
      else p.resolve(a.ok === 1 ? { ok: true } : { ok: false, code: a.code ?? '', message: a.message ?? '' })
    })
    const fail = (): void => {
      if (this.#worker !== worker) return
      this.#worker = undefined
      this.#here = true
      this.#drainHere()
    }
    worker.on('error', fail)
    worker.on('exit', fail)
    this.#worker = worker
    return worker
  }

  /** Checks here whatever the worker still held. */
  #drainHere(): void {
    const held = [...this.#pending.values()]
    this.#pending.clear()
    for (const p of held) checkHere(p)
  }

  /** Stops the worker; checks it still held, and every later one, run on this thread. */
  async close(): Promise<void> {
    this.#here = true
    const worker = this.#worker
    this.#worker = undefined
    this.#drainHere()
    if (worker !== undefined) await worker.terminate()
  }
}
