// `com.atproto.label.queryLabels` parameters: parsed and checked at the boundary.
import { isValidDid } from '@rsky/syntax'
import type { LabelQuery } from './store/types.ts'

/** A `queryLabels` request that is not acceptable; sent as a 400 `InvalidRequest`. */
export class InvalidQueryError extends Error {
  override readonly name = 'InvalidQueryError'
  readonly code = 'INVALID_QUERY'
  readonly param: string
  constructor(param: string, message: string) {
    super(`${message}; param=${param}`)
    this.param = param
  }
}

/** Most `uriPatterns` or `sources` in one request. */
export const MAX_QUERY_VALUES = 100
/** Longest pattern accepted, in characters. */
export const MAX_PATTERN_LENGTH = 8192

/**
 * Builds a {@link LabelQuery} from URL search params: `uriPatterns` (required; a trailing `*` makes
 * a prefix, `*` elsewhere is refused), `sources` (DIDs), `limit` (1..250, default 50), `cursor`.
 * @throws {InvalidQueryError}
 */
export function parseQueryParams(params: URLSearchParams, now: number = Date.now()): LabelQuery {
  const patterns = params.getAll('uriPatterns')
  if (patterns.length === 0) throw new InvalidQueryError('uriPatterns', 'uriPatterns is required')
  if (patterns.length > MAX_QUERY_VALUES) throw new InvalidQueryError('uriPatterns', 'too many uriPatterns')
  const exact: string[] = []
  const prefixes: string[] = []
  for (const p of patterns) {
    if (p.length === 0 || p.length > MAX_PATTERN_LENGTH)
      throw new InvalidQueryError('uriPatterns', 'bad pattern length')
    const star = p.indexOf('*')
    if (star === -1) exact.push(p)
    else if (star === p.length - 1) prefixes.push(p.slice(0, -1))
    else throw new InvalidQueryError('uriPatterns', 'a * may only end a pattern')
  }
  const sources = params.getAll('sources')
  if (sources.length > MAX_QUERY_VALUES) throw new InvalidQueryError('sources', 'too many sources')
  for (const s of sources) if (!isValidDid(s)) throw new InvalidQueryError('sources', 'sources must be DIDs')
  let limit = 50
  const rawLimit = params.get('limit')
  if (rawLimit !== null) {
    if (!/^[0-9]{1,3}$/.test(rawLimit)) throw new InvalidQueryError('limit', 'limit must be an integer')
    limit = Number(rawLimit)
    if (limit < 1 || limit > 250) throw new InvalidQueryError('limit', 'limit must be in 1..250')
  }
  let after = 0
  const rawCursor = params.get('cursor')
  if (rawCursor !== null) {
    if (!/^(0|[1-9][0-9]{0,15})$/.test(rawCursor))
      throw new InvalidQueryError('cursor', 'cursor must be an integer')
    after = Number(rawCursor)
  }
  return { exact, prefixes, sources, limit, after, now }
}
