// What a file that is not a CAR looks like, so `rsky car inspect notes.json` can say "this is JSON"
// instead of reporting a varint error at offset 0.

/** A CAR input that is not a CAR file at all (exit 1), with what it looks like instead. */
export class NotACarError extends Error {
  override name = 'NotACarError'
  readonly code = 'NOT_A_CAR'
  /** `empty`, `json`, `text`, `gzip`, `zip` or `binary`. */
  readonly looksLike: string
  readonly file: string
  constructor(file: string, looksLike: string, detail: string) {
    super(`${file} is not a CAR file: ${detail}`)
    this.file = file
    this.looksLike = looksLike
  }
}

const hex = (bytes: Uint8Array): string =>
  Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ')

/** Reads an unsigned LEB128 varint of at most 4 bytes; undefined when it does not end in time. */
function headerLength(head: Uint8Array): { length: number; bytes: number } | undefined {
  let length = 0
  for (let i = 0; i < Math.min(4, head.length); i++) {
    const b = head[i]!
    length += (b & 0x7f) * 2 ** (7 * i)
    if ((b & 0x80) === 0) return { length, bytes: i + 1 }
  }
  return undefined
}

function isMostlyText(head: Uint8Array): boolean {
  let printable = 0
  for (const b of head)
    if (b === 9 || b === 10 || b === 13 || (b >= 0x20 && b < 0x7f) || b >= 0x80) printable++
  return head.length > 0 && printable / head.length > 0.95
}

/**
 * Describes the start of a file that should be a CAR v1/v2 and is clearly not one; `undefined`
 * when the first bytes could begin a CAR (a header length, then a CBOR map), so the CAR reader
 * gives the precise error.
 */
export function sniffNotCar(file: string, head: Uint8Array, total: number): NotACarError | undefined {
  if (total === 0) return new NotACarError(file, 'empty', 'the file is empty (0 bytes)')
  const firstText = new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(0, 64)).trimStart()
  if (head[0] === 0x1f && head[1] === 0x8b)
    return new NotACarError(file, 'gzip', 'it looks like gzip-compressed data; decompress it first')
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04)
    return new NotACarError(file, 'zip', 'it looks like a zip archive')
  const h = headerLength(head)
  // A CAR starts with the header length (at least 10 bytes: the v2 pragma is the shortest header),
  // then a small DAG-CBOR map ({roots, version}, or {version} in the v2 pragma).
  const plausible =
    h !== undefined &&
    h.length >= 10 &&
    h.length <= 1 << 20 &&
    (head.length <= h.bytes || ((head[h.bytes] ?? 0) >= 0xa1 && (head[h.bytes] ?? 0) <= 0xa4))
  if (plausible) return undefined
  if ((firstText.startsWith('{') || firstText.startsWith('[')) && isMostlyText(head))
    return new NotACarError(file, 'json', 'it looks like JSON text')
  if (isMostlyText(head))
    return new NotACarError(
      file,
      'text',
      `it looks like text ("${firstText.slice(0, 24).split('\n')[0]}...")`,
    )
  return new NotACarError(
    file,
    'binary',
    `it does not start with a CAR header; it looks like random or other binary data (first bytes ${hex(head)})`,
  )
}
