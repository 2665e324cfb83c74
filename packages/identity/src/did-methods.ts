// Where a DID's document lives: did:plc on a PLC directory, did:web on the host named by the DID.
import { isValidDid, isValidHandle, isValidTld } from '@rsky/syntax'
import { PoorlyFormattedDidError, UnsupportedDidMethodError } from './errors.ts'

/** Options of {@link didDocumentUrl}. */
export interface DidUrlOptions {
  /** PLC directory base URL. Default `https://plc.directory`. */
  readonly plcUrl?: string
  /**
   * Allow `did:web:localhost` (and `localhost%3A<port>`) over plain http. The spec allows this only in
   * testing and development, so it is off by default.
   */
  readonly allowLocalhost?: boolean
}

/** The default PLC directory. */
export const DEFAULT_PLC_URL = 'https://plc.directory'

/** The DID method name (`plc`, `web`, ...) of a syntactically valid DID. */
export function didMethod(did: string): string {
  const end = did.indexOf(':', 4)
  return end < 0 ? '' : did.slice(4, end)
}

/**
 * The URL to GET for a DID's document.
 * @throws {PoorlyFormattedDidError} bad syntax, did:web with a path, a port or http outside localhost,
 *   or a host that is not a valid hostname with an allowed TLD.
 * @throws {UnsupportedDidMethodError} neither plc nor web.
 * @example
 * didDocumentUrl('did:web:example.com') // 'https://example.com/.well-known/did.json'
 */
export function didDocumentUrl(did: string, opts: DidUrlOptions = {}): string {
  if (typeof did !== 'string' || !isValidDid(did))
    throw new PoorlyFormattedDidError(String(did), 'invalid DID syntax')
  const method = didMethod(did)
  if (method === 'plc') {
    const base = opts.plcUrl ?? DEFAULT_PLC_URL
    return new URL(`/${encodeURIComponent(did)}`, base).href
  }
  if (method === 'web') return didWebUrl(did, opts.allowLocalhost ?? false)
  throw new UnsupportedDidMethodError(did, method)
}

function didWebUrl(did: string, allowLocalhost: boolean): string {
  const ident = did.slice('did:web:'.length)
  // Further colons would be path segments, which atproto does not support.
  if (ident.includes(':')) throw new PoorlyFormattedDidError(did, 'did:web paths are not supported')
  let hostPort: string
  try {
    hostPort = decodeURIComponent(ident)
  } catch {
    throw new PoorlyFormattedDidError(did, 'invalid percent-encoding')
  }
  const colon = hostPort.indexOf(':')
  const host = (colon < 0 ? hostPort : hostPort.slice(0, colon)).toLowerCase()
  const port = colon < 0 ? undefined : hostPort.slice(colon + 1)
  if (host === 'localhost') {
    if (!allowLocalhost) throw new PoorlyFormattedDidError(did, 'did:web:localhost is not allowed')
    if (port !== undefined && !isPort(port)) throw new PoorlyFormattedDidError(did, 'invalid port')
    return `http://localhost${port === undefined ? '' : `:${port}`}/.well-known/did.json`
  }
  if (port !== undefined) throw new PoorlyFormattedDidError(did, 'ports are only allowed for localhost')
  if (!isValidHandle(host)) throw new PoorlyFormattedDidError(did, 'did:web host is not a valid hostname')
  if (!isValidTld(host)) throw new PoorlyFormattedDidError(did, 'did:web host has a disallowed TLD')
  return `https://${host}/.well-known/did.json`
}

function isPort(s: string): boolean {
  if (!/^[0-9]{1,5}$/.test(s)) return false
  const n = Number(s)
  return n >= 1 && n <= 65535
}
