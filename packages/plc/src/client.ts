// A PLC directory client: documents, state, last operation, logs, submission and the paged export.
// Every request is bounded in time and size; every answer is parsed strictly before it is returned.
import { isValidDid } from '@rsky/syntax'
import { PlcHttpError, PlcNotFoundError, PlcResponseInvalidError } from './errors.ts'
import { type FetchLike, type HttpResult, request } from './http.ts'
import { parseOperation } from './parse.ts'
import type { AuditEntry, DocumentData, PlcDidDocument, SignedOperation } from './types.ts'

/** The public directory. */
export const DEFAULT_PLC_DIRECTORY = 'https://plc.directory'
/** Default time limit of one request. */
export const DEFAULT_PLC_TIMEOUT_MS = 10_000
/** Default byte cap of one answer (an audit log of a few hundred operations fits). */
export const DEFAULT_PLC_MAX_BYTES: number = 4 * 1024 * 1024
/** Most entries one export page may hold (the directory's own maximum). */
export const MAX_EXPORT_COUNT = 1000

/** Options of `PlcClient`. */
export interface PlcClientOptions {
  /** Directory URL. Default {@link DEFAULT_PLC_DIRECTORY}. */
  readonly url?: string
  readonly fetch?: FetchLike
  /** Default {@link DEFAULT_PLC_TIMEOUT_MS}. */
  readonly timeoutMs?: number
  /** Default {@link DEFAULT_PLC_MAX_BYTES}. */
  readonly maxBytes?: number
}

/** Options of one call. */
export interface CallOptions {
  readonly signal?: AbortSignal
}

/** Options of `exportPages`. */
export interface ExportOptions extends CallOptions {
  /** Cursor: a `createdAt` timestamp (legacy form) or a sequence number. */
  readonly after?: string | number
  /** Entries per page, at most 1000. Default 1000. */
  readonly count?: number
  /** Stop after this many pages. Default 100. */
  readonly maxPages?: number
}

/** One export line. `seq` is present in the sequenced form (`after` a number). */
export interface ExportEntry extends AuditEntry {
  readonly seq?: number
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const utf8 = new TextDecoder('utf-8', { fatal: true })

function checkDid(did: string): void {
  if (typeof did !== 'string' || !did.startsWith('did:plc:') || !isValidDid(did))
    throw new TypeError(`not a did:plc DID: ${String(did).slice(0, 80)}`)
}

/**
 * Talks to a PLC directory.
 * @example const client = new PlcClient({ url: 'https://plc.directory' }); const log = await client.getAuditLog(did)
 */
export class PlcClient {
  readonly url: string
  readonly #limits: { fetch?: FetchLike; timeoutMs: number; maxBytes: number }

  /** @throws {TypeError} for a URL that is not http(s). */
  constructor(options?: PlcClientOptions) {
    const url = new URL(options?.url ?? DEFAULT_PLC_DIRECTORY)
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new TypeError('PlcClient: url must be http(s)')
    this.url = url.href.replace(/\/+$/, '')
    this.#limits = {
      ...(options?.fetch ? { fetch: options.fetch } : {}),
      timeoutMs: options?.timeoutMs ?? DEFAULT_PLC_TIMEOUT_MS,
      maxBytes: options?.maxBytes ?? DEFAULT_PLC_MAX_BYTES,
    }
  }

  async #get(
    path: string,
    opts: CallOptions | undefined,
    accept = 'application/json',
  ): Promise<{ url: string; res: HttpResult }> {
    const url = `${this.url}${path}`
    const res = await request(
      url,
      { method: 'GET', accept },
      { ...this.#limits, ...(opts?.signal ? { signal: opts.signal } : {}) },
    )
    if (res.status < 200 || res.status > 299) throw httpError(url, res)
    return { url, res }
  }

  async #getJson(path: string, opts: CallOptions | undefined): Promise<{ url: string; value: unknown }> {
    const { url, res } = await this.#get(path, opts)
    return { url, value: parseJson(url, res.body) }
  }

  /**
   * The DID document as the directory renders it (checked for shape, not re-derived; audit the log
   * for that).
   * @throws {PlcNotFoundError} for an unknown or tombstoned DID; the other PlcClient errors.
   */
  async getDocument(did: string, opts?: CallOptions): Promise<PlcDidDocument> {
    checkDid(did)
    const { url, value } = await this.#getJson(`/${did}`, opts)
    if (
      !isRecord(value) ||
      value['id'] !== did ||
      !Array.isArray(value['verificationMethod']) ||
      !Array.isArray(value['service'])
    )
      throw new PlcResponseInvalidError(url, 'not a DID document for this DID')
    return value as unknown as PlcDidDocument
  }

  /**
   * The DID's current state (`/:did/data`).
   * @throws {PlcNotFoundError} for an unknown or tombstoned DID; the other PlcClient errors.
   */
  async getDocumentData(did: string, opts?: CallOptions): Promise<DocumentData> {
    checkDid(did)
    const { url, value } = await this.#getJson(`/${did}/data`, opts)
    if (
      !isRecord(value) ||
      value['did'] !== did ||
      !Array.isArray(value['rotationKeys']) ||
      !Array.isArray(value['alsoKnownAs']) ||
      !isRecord(value['verificationMethods']) ||
      !isRecord(value['services'])
    )
      throw new PlcResponseInvalidError(url, 'not document data for this DID')
    return value as unknown as DocumentData
  }

  /**
   * The most recent operation (`/:did/log/last`), strictly parsed.
   * @throws {PlcNotFoundError} {PlcResponseInvalidError} and the other PlcClient errors.
   */
  async getLastOperation(did: string, opts?: CallOptions): Promise<SignedOperation> {
    checkDid(did)
    const { url, value } = await this.#getJson(`/${did}/log/last`, opts)
    return parseOrInvalid(url, value)
  }

  /**
   * The current chain of operations (`/:did/log`), strictly parsed.
   * @throws {PlcNotFoundError} {PlcResponseInvalidError} and the other PlcClient errors.
   */
  async getOperationLog(did: string, opts?: CallOptions): Promise<SignedOperation[]> {
    checkDid(did)
    const { url, value } = await this.#getJson(`/${did}/log`, opts)
    if (!Array.isArray(value)) throw new PlcResponseInvalidError(url, 'not an array')
    return value.map((v) => parseOrInvalid(url, v))
  }

  /**
   * The audit log (`/:did/log/audit`), raw: give it to `validateAuditLog`, which checks every field.
   * @throws {PlcNotFoundError} {PlcResponseInvalidError} (not an array) and the other PlcClient errors.
   */
  async getAuditLog(did: string, opts?: CallOptions): Promise<unknown[]> {
    checkDid(did)
    const { url, value } = await this.#getJson(`/${did}/log/audit`, opts)
    if (!Array.isArray(value)) throw new PlcResponseInvalidError(url, 'not an array')
    return value
  }

  /**
   * Submits a signed operation (`POST /:did`). The directory's refusal comes back as a
   * `PlcHttpError` with its status and message.
   * @throws {PlcHttpError} and the other PlcClient errors.
   */
  async submit(did: string, op: SignedOperation, opts?: CallOptions): Promise<void> {
    checkDid(did)
    const url = `${this.url}/${did}`
    const res = await request(
      url,
      { method: 'POST', body: JSON.stringify(op), accept: 'application/json' },
      { ...this.#limits, ...(opts?.signal ? { signal: opts.signal } : {}) },
    )
    if (res.status < 200 || res.status > 299) throw httpError(url, res)
  }

  /**
   * Pages of the bulk export (`/export`, JSON lines), each page parsed strictly, following the
   * cursor (`seq` when present, otherwise `createdAt`) until a short page or `maxPages`.
   * @throws {PlcResponseInvalidError} for a line that is not an export entry; the other PlcClient errors.
   * @example for await (const page of client.exportPages({ after: 0 })) for (const e of page) …
   */
  async *exportPages(opts?: ExportOptions): AsyncGenerator<ExportEntry[]> {
    const count = opts?.count ?? MAX_EXPORT_COUNT
    if (!Number.isInteger(count) || count < 1 || count > MAX_EXPORT_COUNT)
      throw new RangeError(`exportPages: count must be 1..${MAX_EXPORT_COUNT}`)
    const maxPages = opts?.maxPages ?? 100
    let after = opts?.after
    for (let page = 0; page < maxPages; page++) {
      const q = new URLSearchParams({ count: String(count) })
      if (after !== undefined) q.set('after', String(after))
      const { url, res } = await this.#get(`/export?${q}`, opts, 'application/jsonlines')
      const entries = parseExport(url, res.body)
      if (entries.length > 0) yield entries
      if (entries.length < count) return
      const last = entries[entries.length - 1]!
      after = last.seq ?? last.createdAt
    }
  }
}

function parseJson(url: string, body: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(body))
  } catch (cause) {
    throw new PlcResponseInvalidError(url, 'not JSON', { cause })
  }
}

function parseOrInvalid(url: string, value: unknown): SignedOperation {
  try {
    return parseOperation(value)
  } catch (cause) {
    throw new PlcResponseInvalidError(url, 'not a well-formed operation', { cause })
  }
}

function parseExport(url: string, body: Uint8Array): ExportEntry[] {
  let text: string
  try {
    text = utf8.decode(body)
  } catch (cause) {
    throw new PlcResponseInvalidError(url, 'not UTF-8', { cause })
  }
  const out: ExportEntry[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    let v: unknown
    try {
      v = JSON.parse(line)
    } catch (cause) {
      throw new PlcResponseInvalidError(url, `line ${out.length + 1} is not JSON`, { cause })
    }
    if (
      !isRecord(v) ||
      typeof v['did'] !== 'string' ||
      typeof v['cid'] !== 'string' ||
      typeof v['createdAt'] !== 'string' ||
      (v['seq'] !== undefined && !Number.isSafeInteger(v['seq']))
    )
      throw new PlcResponseInvalidError(url, `line ${out.length + 1} is not an export entry`)
    out.push({
      did: v['did'],
      cid: v['cid'],
      createdAt: v['createdAt'],
      nullified: v['nullified'] === true,
      operation: parseOrInvalid(url, v['operation']),
      ...(typeof v['seq'] === 'number' ? { seq: v['seq'] } : {}),
    })
  }
  return out
}

function httpError(url: string, res: HttpResult): PlcHttpError {
  let message: string | undefined
  try {
    const v = JSON.parse(utf8.decode(res.body)) as unknown
    if (isRecord(v) && typeof v['message'] === 'string') message = v['message']
  } catch {
    message = undefined
  }
  if (res.status === 404 || res.status === 410) return new PlcNotFoundError(url, res.status, message)
  return new PlcHttpError(url, res.status, message)
}
