// String measures (UTF-8 bytes, grapheme clusters) and the format checks, all via @rsky/syntax.

import {
  isValidAtIdentifier,
  isValidAtUri,
  isValidDatetime,
  isValidDid,
  isValidHandle,
  isValidLanguage,
  isValidNsid,
  isValidRecordKey,
  isValidTid,
  isValidUri,
} from '@rsky/syntax'
import { isLexCidString } from './cid-string.ts'
import type { LexStringFormat } from './types.ts'

/** Length of `s` encoded as UTF-8, without encoding it (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8Length(s: string): number {
  const n = s.length
  let len = n
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) {
      len += 1
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        // A surrogate pair: two UTF-16 units become four bytes.
        len += 2
        i++
      } else {
        len += 2
      }
    } else {
      len += 2
    }
  }
  return len
}

let segmenter: Intl.Segmenter | undefined

/** Number of extended grapheme clusters in `s` (ASCII is counted without Intl.Segmenter). */
export function graphemeLength(s: string): number {
  const n = s.length
  let ascii = true
  let crlf = 0
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x80) {
      ascii = false
      break
    }
    // CR LF is a single grapheme cluster; every other ASCII character is one.
    if (c === 0x0a && i > 0 && s.charCodeAt(i - 1) === 0x0d) crlf++
  }
  if (ascii) return n - crlf
  segmenter ??= new Intl.Segmenter()
  let count = 0
  for (const _ of segmenter.segment(s)) count++
  return count
}

// `en`, `pt-BR`: a 2-3 letter primary subtag with an optional region is always a well-formed
// BCP 47 tag, and covers nearly every tag in real records; anything else goes to @rsky/syntax.
const SIMPLE_LANGUAGE = /^[a-z]{2,3}(?:-[A-Z]{2})?$/
const isLanguage = (s: string): boolean => SIMPLE_LANGUAGE.test(s) || isValidLanguage(s)

/** The check behind each lexicon string format (@rsky/syntax, and {@link isLexCidString} for `cid`). */
export const FORMAT_CHECKS: Readonly<Record<LexStringFormat, (s: string) => boolean>> = {
  datetime: isValidDatetime,
  uri: isValidUri,
  'at-uri': isValidAtUri,
  did: isValidDid,
  handle: isValidHandle,
  'at-identifier': isValidAtIdentifier,
  nsid: isValidNsid,
  cid: isLexCidString,
  language: isLanguage,
  tid: isValidTid,
  'record-key': isValidRecordKey,
}
