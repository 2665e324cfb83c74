// Commit signature checks off the thread that writes the store. A backfill checks one secp256k1
// signature per repository, about as long as writing a hundred records; on a worker thread it
// overlaps the walk and the writes of the other repositories in flight. Where no worker can start
// (or one fails) the checks run on the calling thread, with the same results: a worker only moves
// the work, it never changes an answer.
import { Worker } from 'node:worker_threads'
import { verifySignature } from '@rsky/crypto'

/** @internal Main thread → worker: one signature to check. */
export interface SignatureRequest {
  id: number
  /** The did:key to check with. */
  key: string
  /** The signed bytes (the unsigned commit). */
  data: Uint8Array
  sig: Uint8Array
}

/** @internal Worker → main thread: 1 verifies, 0 does not, -1 verifySignature threw. */
export interface SignatureAnswer {
  id: number
  ok: 1 | 0 | -1
}

/** Checks signatures: `verifySignature` of @rsky/crypto, maybe elsewhere than on this thread. */
export interface SignatureChecker {
  /**
   * Whether `sig` over `data` verifies with `didKey`.
   * @throws what `verifySignature` throws for a malformed did:key
   */
  verify(didKey: string, data: Uint8Array, sig: Uint8Array): Promise<boolean>
}

interface Pending {
  req: SignatureRequest
  resolve: (ok: boolean) => void
  reject: (err: unknown) => void
}

/** `verifySignature` here and now, as a settled promise. */
function verifyHere(p: Pending): void {
  try {
    p.resolve(verifySignature(p.req.key, p.req.data, p.req.sig))
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
    return new Promise<boolean>((resolve, reject) => {
      // copies: a view posted as it is would clone its whole buffer (a CAR slab, say)
      const req = { id: this.#next++, key: didKey, data: data.slice(), sig: sig.slice() }
      const p: Pending = { req, resolve, reject }
      const worker = this.#here ? undefined : (this.#worker ?? this.#start())
      if (worker === undefined) return verifyHere(p)
      if (this.#pending.size === 0) worker.ref()
      this.#pending.set(p.req.id, p)
      worker.postMessage(p.req)
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
      if (a.ok === -1) verifyHere(p)
      else p.resolve(a.ok === 1)
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
    for (const p of held) verifyHere(p)
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
