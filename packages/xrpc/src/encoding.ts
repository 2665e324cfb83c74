// Content types: the MIME part of a header, and whether it is one a lexicon body accepts.

/** The lower-case `type/subtype` of a Content-Type header, parameters dropped. */
export function mimeOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined
  const semi = contentType.indexOf(';')
  const mime = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase()
  return mime === '' ? undefined : mime
}

/** True when `mime` satisfies a lexicon encoding (`application/json`, `image/*`, `*\/*`). */
export function encodingAccepts(lexEncoding: string, mime: string): boolean {
  if (lexEncoding === '*/*') return true
  const want = lexEncoding.toLowerCase()
  if (want.endsWith('/*')) return mime.startsWith(want.slice(0, -1))
  return want === mime
}

/** True for JSON media types (`application/json`, `application/x+json`). */
export function isJsonMime(mime: string | undefined): boolean {
  return mime === 'application/json' || (mime?.startsWith('application/') === true && mime.endsWith('+json'))
}
