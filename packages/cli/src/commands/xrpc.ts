// `rsky xrpc NSID [NAME=VALUE ...]`: call any XRPC method and print the answer.
import { readFileSync, writeFileSync } from 'node:fs'
import { isValidNsid } from '@rsky/syntax'
import { XrpcClient, XrpcError } from '@rsky/xrpc'
import type { Command } from '../command.ts'
import { EXIT_OK, UsageError } from '../errors.ts'
import { formatBytes } from '../output.ts'

const DEFAULT_SERVICE = 'https://public.api.bsky.app'

/** An XRPC error answer as a CLI failure: the code is the XRPC error name. */
class XrpcCallError extends Error {
  override name = 'XrpcCallError'
  readonly code: string
  readonly status: number
  constructor(err: XrpcError) {
    super(`${err.status} ${err.error}: ${err.message}`)
    // Transport failures map to the CLI's unreachable-service code (exit 2).
    this.code = err.code === 'XRPC_TRANSPORT' ? 'SERVICE_UNREACHABLE' : err.error
    this.status = err.status
  }
}

/** `name=value` positionals as params; a repeated name becomes an array. */
function parseParams(args: readonly string[]): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = Object.create(null)
  for (const arg of args) {
    const eq = arg.indexOf('=')
    if (eq <= 0) throw new UsageError(`parameters are NAME=VALUE; got ${JSON.stringify(arg)}`)
    const name = arg.slice(0, eq)
    const value = arg.slice(eq + 1)
    const prior = params[name]
    params[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value]
  }
  return params
}

function inputOf(spec: string | undefined): { input?: unknown; encoding?: string } {
  if (spec === undefined) return {}
  if (spec.startsWith('@')) {
    const bytes = new Uint8Array(readFileSync(spec.slice(1)))
    return { input: bytes }
  }
  try {
    return { input: JSON.parse(spec) }
  } catch {
    throw new UsageError('--input is JSON text, or @FILE for a file sent as bytes')
  }
}

const xrpc: Command = {
  path: ['xrpc'],
  help: {
    options: [
      ['--service URL', `the service to call (default ${DEFAULT_SERVICE})`],
      ['--method GET|POST', 'the HTTP method (default GET, or POST with --input)'],
      ['--input JSON|@FILE', 'procedure input: JSON text, or a file sent as bytes (with --encoding)'],
      ['--encoding TYPE', 'Content-Type of the input (default application/json for JSON)'],
      ['--proxy DID#SERVICE', 'atproto-proxy header: ask the service (a PDS) to forward the call'],
      ['--token JWT', 'Authorization: Bearer token (an access token or a service-auth JWT)'],
      ['--out FILE', 'write a binary answer (CAR, blob) to FILE'],
    ],
    notes: [
      'Calls NSID with NAME=VALUE query parameters (repeat a name for an array) and prints the JSON answer; with --json, {status, data}. An XRPC error answer prints `STATUS ErrorName: message` and exits 1; an unreachable service exits 2.',
    ],
    invalid: 'the service answered with an XRPC error',
  },
  usage:
    'NSID [NAME=VALUE ...] [--service URL] [--method GET|POST] [--input JSON|@FILE] [--proxy DID#SERVICE] [--out FILE] [--json]',
  summary: 'call an XRPC method on a service and print its answer',
  options: {
    service: { type: 'string' },
    method: { type: 'string' },
    input: { type: 'string' },
    encoding: { type: 'string' },
    proxy: { type: 'string' },
    token: { type: 'string' },
    out: { type: 'string' },
  },
  arity: [1, 1000],
  async run({ positionals, values, out }) {
    const [nsid, ...rest] = positionals as [string, ...string[]]
    if (!isValidNsid(nsid)) throw new UsageError(`not an NSID: ${nsid}`)
    const params = parseParams(rest)
    const method = values.method === undefined ? undefined : String(values.method).toUpperCase()
    if (method !== undefined && method !== 'GET' && method !== 'POST')
      throw new UsageError('--method is GET or POST')
    const { input } = inputOf(values.input as string | undefined)
    const headers: Record<string, string> = {}
    if (typeof values.token === 'string') headers.authorization = `Bearer ${values.token}`
    let service: string
    try {
      service = new URL(String(values.service ?? DEFAULT_SERVICE)).href
    } catch {
      throw new UsageError(`--service is not a URL: ${values.service}`)
    }
    const client = new XrpcClient({ service, retry: { maxRetries: 1 } })
    let res: Awaited<ReturnType<XrpcClient['call']>>
    try {
      res = await client.call(nsid, {
        method: (method ?? (input === undefined ? 'GET' : 'POST')) as 'GET' | 'POST',
        params,
        input,
        encoding: values.encoding as string | undefined,
        headers,
        proxy: (values.proxy as string | undefined) ?? null,
      })
    } catch (err) {
      if (err instanceof XrpcError) throw new XrpcCallError(err)
      throw err
    }
    const data = res.data
    if (data instanceof Uint8Array) {
      const type = res.headers.get('content-type') ?? 'application/octet-stream'
      if (typeof values.out === 'string') writeFileSync(values.out, data)
      out.result({ status: res.status, contentType: type, bytes: data.length, file: values.out ?? null })
      out.line(
        `${formatBytes(data.length)} of ${type}${typeof values.out === 'string' ? ` written to ${values.out}` : ' (use --out FILE to save)'}`,
      )
      return EXIT_OK
    }
    out.result({ status: res.status, data: data ?? null })
    if (data !== undefined) out.line(JSON.stringify(data, null, 2))
    return EXIT_OK
  },
}

export const xrpcCommands: Command[] = [xrpc]
