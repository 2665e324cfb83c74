// A CAR in memory read as block positions, for readers that decode their blocks anyway (a
// repository's records): the header is checked with @rsky/dag-cbor's `decode`, which such a reader
// already ships, instead of header.ts's decoder-free check, so its bundle carries one DAG-CBOR
// reader, not two. Both header readers accept and reject the same bytes for the same reasons
// (test/header.test.ts).
import { DagCborDecodeError, decodeBlock, isCid, isLexMap } from '@rsky/dag-cbor'
import { CarError, CarInvalidHeaderError } from './errors.ts'
import { SectionParser } from './section.ts'
import type { CarBlockVisitor } from './stream.ts'
import { type CarHeader, type CarReadOptions, resolveReadOptions } from './types.ts'

/**
 * Reads and checks a CAR header with `decode`: a strict DAG-CBOR map with `version: 1` and
 * `roots`, an array of CIDs; other keys are allowed. `offset` is the section's file offset.
 * @throws {CarInvalidHeaderError} saying which rule failed (the reasons of header.ts)
 */
export function decodeCarHeader(bytes: Uint8Array, offset: number): CarHeader {
  const fail = (reason: string, cause?: unknown): never => {
    throw new CarInvalidHeaderError({ reason, offset, cause })
  }
  let value: unknown
  try {
    value = decodeBlock(bytes)
  } catch (err) {
    if (!(err instanceof DagCborDecodeError)) throw err
    fail('not DAG-CBOR', err)
  }
  if (!isLexMap(value)) fail('not a map')
  const map = value as { version?: unknown; roots?: unknown }
  if (!Object.hasOwn(map, 'version')) fail('no version')
  const version = map.version
  // Only an unsigned integer is named (CARv2 is `version: 2`).
  if (version !== 1)
    fail(typeof version === 'number' && version >= 0 ? `bad version ${version}` : 'bad version')
  if (!Object.hasOwn(map, 'roots')) fail('no roots')
  const roots = map.roots
  if (!Array.isArray(roots)) fail('roots not an array')
  for (const root of roots as unknown[]) if (!isCid(root)) fail('root not a CID')
  return { version: 1, roots: roots as CarHeader['roots'] }
}

/**
 * Reads a CAR held in memory and hands each block to `visit` as a position, building no object
 * per block: its 36-byte CID is `bytes[at, at + 36)` and its `length` bytes follow. Every block is
 * hash-checked before it is visited. The header is checked first (with {@link decodeCarHeader})
 * and returned once every block was read.
 * @throws CarError subclasses (with `offset` and `blocksRead`) for a bad header or block;
 *   TypeError when `bytes` is not a Uint8Array
 * @example
 * const spans: number[] = []
 * const { roots } = scanCar(bytes, (_, at, length) => spans.push(at, length))
 */
export function scanCar(bytes: Uint8Array, visit: CarBlockVisitor, opts?: CarReadOptions): CarHeader {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array')
  const parser = new SectionParser(resolveReadOptions(opts))
  parser.parseHeader(bytes, 0, 0, true, decodeCarHeader)
  let pos = parser.next
  try {
    while (pos < bytes.length) {
      parser.scanBlock(bytes, pos, 0, true)
      pos = parser.next
      visit(bytes, parser.cidAt, parser.bytes.length)
    }
  } catch (err) {
    if (err instanceof CarError) err.blocksRead = parser.blocks
    throw err
  }
  return parser.header as CarHeader
}
