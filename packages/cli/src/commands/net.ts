// What the network commands share: the --plc/--pds/--timeout options, DID and handle resolution
// (with the PDS's resolveHandle as the handle fallback), and HTTP requests that time out.
import {
  DEFAULT_PLC_URL,
  type DidDocument,
  DidResolver,
  getHandle,
  getPdsEndpoint,
  getSigningKey,
  HandleResolver,
  normalizeResolvableHandle,
} from '@rsky/identity'
import { isValidDid, isValidHandle } from '@rsky/syntax'
import type { OptionSpec } from '../command.ts'
import { UsageError } from '../errors.ts'

/** The options every network command takes. */
export const NET_OPTIONS: OptionSpec = {
  plc: { type: 'string' },
  pds: { type: 'string' },
  timeout: { type: 'string' },
}

/** Their help lines, in the order of NET_OPTIONS. */
export const NET_OPTION_HELP: ReadonlyArray<readonly [string, string]> = [
  ['--plc URL', `PLC directory for did:plc (default ${DEFAULT_PLC_URL})`],
  [
    '--pds URL',
    'a PDS that resolves handles (com.atproto.identity.resolveHandle), tried when DNS and https://HANDLE/.well-known/atproto-did give nothing; also the service asked when a DID document names no PDS',
  ],
  ['--timeout SECONDS', 'give up on any one request after this long (default 15)'],
]

/** A service that could not be reached or did not answer in time (exit 2, kind `io`). */
export class ServiceError extends Error {
  override name = 'ServiceError'
  readonly code: 'SERVICE_UNREACHABLE' | 'SERVICE_TIMEOUT'
  readonly url: string
  constructor(code: 'SERVICE_UNREACHABLE' | 'SERVICE_TIMEOUT', url: string, cause?: unknown) {
    super(
      code === 'SERVICE_TIMEOUT'
        ? `no answer in time; url=${url}`
        : `cannot reach the service; url=${url}${cause instanceof Error && cause.cause instanceof Error ? ` (${(cause.cause as NodeJS.ErrnoException).code ?? cause.cause.message})` : ''}`,
      { cause },
    )
    this.code = code
    this.url = url
  }
}

/** A service answered with an error (exit 1): its status and the XRPC error name when given. */
export class ServiceAnswerError extends Error {
  override name = 'ServiceAnswerError'
  readonly code: string
  readonly status: number
  readonly url: string
  constructor(status: number, url: string, xrpcError: string | undefined, message: string | undefined) {
    super(
      `the service answered ${status}${xrpcError ? ` ${xrpcError}` : ''}${message ? `: ${message}` : ''}; url=${url}`,
    )
    this.status = status
    this.url = url
    this.code = xrpcError === 'RecordNotFound' || status === 404 ? 'NOT_FOUND' : 'SERVICE_ERROR'
  }
}

/** The network settings of one command run. */
export interface Net {
  plc: string
  pds: string | undefined
  timeoutMs: number
}

function urlOption(name: string, v: unknown): string | undefined {
  if (v === undefined) return undefined
  const s = String(v)
  if (!/^(https?|wss?):\/\//i.test(s) || !URL.canParse(s))
    throw new UsageError(`--${name} is not a URL; ${name}=${s}`)
  return s.replace(/\/+$/, '')
}

/** @throws UsageError for a malformed --plc, --pds or --timeout */
export function netOf(values: Record<string, unknown>): Net {
  const t = values['timeout']
  const seconds = t === undefined ? 15 : Number(t)
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw new UsageError(`--timeout must be a number of seconds from 0 to 3600; timeout=${String(t)}`)
  }
  return {
    plc: urlOption('plc', values['plc']) ?? DEFAULT_PLC_URL,
    pds: urlOption('pds', values['pds']),
    timeoutMs: Math.round(seconds * 1000),
  }
}

/**
 * fetch with the command's timeout; network failures become ServiceError.
 * @throws ServiceError
 */
export async function request(net: Net, url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(net.timeoutMs), redirect: 'follow' })
  } catch (err) {
    const name = (err as Error).name
    if (name === 'TimeoutError' || name === 'AbortError') throw new ServiceError('SERVICE_TIMEOUT', url, err)
    throw new ServiceError('SERVICE_UNREACHABLE', url, err)
  }
}

/** An XRPC GET on `service`; a non-2xx answer raises ServiceAnswerError. @throws ServiceError */
export async function xrpcGet(
  net: Net,
  service: string,
  nsid: string,
  params: Record<string, string>,
): Promise<Response> {
  const url = `${service.replace(/\/+$/, '')}/xrpc/${nsid}?${new URLSearchParams(params)}`
  const res = await request(net, url)
  if (!res.ok) {
    let body: { error?: unknown; message?: unknown } = {}
    try {
      body = (await res.json()) as typeof body
    } catch {
      // Not JSON: the status says enough.
    }
    throw new ServiceAnswerError(
      res.status,
      url,
      typeof body.error === 'string' ? body.error : undefined,
      typeof body.message === 'string' ? body.message.slice(0, 200) : undefined,
    )
  }
  return res
}

/** An account as the network commands see it. */
export interface Identity {
  did: string
  /** The handle, when it verified both ways; undefined otherwise. */
  handle: string | undefined
  /** The handle the document claims, verified or not. */
  claimedHandle: string | undefined
  /** How the handle was resolved to the DID: `dns-or-https`, `pds`, or null when it did not resolve. */
  handleMethod: 'dns-or-https' | 'pds' | null
  document: DidDocument
  pds: string | undefined
  signingKey: string | undefined
}

function resolvers(net: Net) {
  const local = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:|\/|$)/.test(net.plc)
  return {
    did: new DidResolver({ plcUrl: net.plc, timeoutMs: net.timeoutMs, cache: null, allowLocalhost: local }),
    handle: new HandleResolver({ timeoutMs: Math.min(net.timeoutMs, 5000) }),
  }
}

/** Handle -> DID through the PDS's com.atproto.identity.resolveHandle. */
async function resolveHandleViaPds(net: Net, pds: string, handle: string): Promise<string | undefined> {
  try {
    const res = await xrpcGet(net, pds, 'com.atproto.identity.resolveHandle', { handle })
    const did = ((await res.json()) as { did?: unknown }).did
    return typeof did === 'string' && isValidDid(did) ? did : undefined
  } catch (err) {
    if (err instanceof ServiceAnswerError) return undefined
    throw err
  }
}

/** Handle -> DID: DNS TXT and HTTPS well-known first, then the --pds fallback. */
async function handleToDid(
  net: Net,
  handle: string,
  r: ReturnType<typeof resolvers>,
): Promise<{ did: string; method: 'dns-or-https' | 'pds' } | undefined> {
  // .test handles (development networks) never resolve by DNS or well-known: ask the PDS directly.
  const reserved = handle.endsWith('.test')
  if (!reserved || net.pds === undefined) {
    const did = await r.handle.resolve(handle).catch(() => undefined)
    if (did !== undefined) return { did, method: 'dns-or-https' }
  }
  if (net.pds !== undefined) {
    const did = await resolveHandleViaPds(net, net.pds, handle)
    if (did !== undefined) return { did, method: 'pds' }
  }
  return undefined
}

/** A handle that resolves to no DID (exit 1). */
export class HandleUnresolvedError extends Error {
  override name = 'HandleUnresolvedError'
  readonly code = 'HANDLE_NOT_FOUND'
  readonly handle: string
  constructor(handle: string, triedPds: boolean) {
    super(
      `no DID found for handle ${handle} (DNS TXT _atproto, https well-known${triedPds ? ', the --pds resolveHandle' : '; give --pds URL to ask a PDS'})`,
    )
    this.handle = handle
  }
}

/** The document of a handle claims another handle (exit 1). */
export class HandleClaimError extends Error {
  override name = 'HandleClaimError'
  readonly code = 'HANDLE_MISMATCH'
  constructor(handle: string, did: string, claimed: string | undefined) {
    super(`${handle} resolves to ${did}, whose document claims ${claimed ?? 'no handle'}`)
  }
}

/**
 * Resolves a DID or handle to the account: DID document, handle checked both ways, PDS and key.
 * @throws UsageError when `id` is neither; HandleUnresolvedError, HandleClaimError, identity errors, ServiceError
 */
export async function resolveIdentity(net: Net, id: string): Promise<Identity> {
  const r = resolvers(net)
  let did: string
  let method: Identity['handleMethod'] = null
  let asked: string | undefined
  if (id.startsWith('did:')) {
    if (!isValidDid(id)) throw new UsageError(`not a DID: ${id}`)
    did = id
  } else {
    const handle = normalizeResolvableHandle(id.replace(/^@/, ''))
    if (handle === undefined || !isValidHandle(handle)) throw new UsageError(`not a DID or handle: ${id}`)
    const found = await handleToDid(net, handle, r)
    if (found === undefined) throw new HandleUnresolvedError(handle, net.pds !== undefined)
    did = found.did
    method = found.method
    asked = handle
  }
  const document = await r.did.resolve(did)
  const claimed = getHandle(document)
  let handle: string | undefined
  if (asked !== undefined) {
    if (claimed !== asked) throw new HandleClaimError(asked, did, claimed)
    handle = asked
  } else if (claimed !== undefined) {
    const back = await handleToDid(net, claimed, r)
    if (back?.did === did) {
      handle = claimed
      method = back.method
    }
  }
  return {
    did,
    handle,
    claimedHandle: claimed,
    handleMethod: method,
    document,
    pds: getPdsEndpoint(document) ?? net.pds,
    signingKey: getSigningKey(document),
  }
}

/** The account's PDS, or an error saying there is none. */
export function pdsOf(id: Identity): string {
  if (id.pds === undefined) throw new UsageError(`the DID document of ${id.did} names no PDS; give --pds URL`)
  return id.pds
}

/** The account's signing key, or an error (exit 1): nothing can be verified without it. */
export function keyOf(id: Identity): string {
  if (id.signingKey === undefined) {
    throw Object.assign(new Error(`the DID document of ${id.did} has no atproto signing key`), {
      name: 'MissingSigningKeyError',
      code: 'MISSING_SIGNING_KEY',
    })
  }
  return id.signingKey
}
