import { failure, InvalidLanguageError, type Problem, type ValidationResult } from './errors.ts'

// Irregular and regular grandfathered tags of RFC 5646 section 2.2.8, matched exactly as written
// there (the reference and the fixtures match them case-sensitively too).
const GRANDFATHERED: ReadonlySet<string> = new Set([
  'en-GB-oed',
  'i-ami',
  'i-bnn',
  'i-default',
  'i-enochian',
  'i-hak',
  'i-klingon',
  'i-lux',
  'i-mingo',
  'i-navajo',
  'i-pwn',
  'i-tao',
  'i-tay',
  'i-tsu',
  'sgn-BE-FR',
  'sgn-BE-NL',
  'sgn-CH-DE',
  'art-lojban',
  'cel-gaulish',
  'no-bok',
  'no-nyn',
  'zh-guoyu',
  'zh-hakka',
  'zh-min',
  'zh-min-nan',
  'zh-xiang',
])

/** Parsed subtags of a language tag; absent parts are `undefined`. */
export interface LanguageTag {
  readonly grandfathered?: string
  readonly language?: string
  readonly extlang?: readonly string[]
  readonly script?: string
  readonly region?: string
  readonly variants?: readonly string[]
  readonly extensions?: readonly string[]
  readonly privateUse?: string
}

const isAlphaCode = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90)
const isDigitCode = (c: number): boolean => c >= 48 && c <= 57

function all(t: string, pred: (c: number) => boolean): boolean {
  for (let i = 0; i < t.length; i++) if (!pred(t.charCodeAt(i))) return false
  return true
}
const isAlpha = (t: string, min: number, max: number): boolean =>
  t.length >= min && t.length <= max && all(t, isAlphaCode)
const isAlnum = (t: string, min: number, max: number): boolean =>
  t.length >= min && t.length <= max && all(t, (c) => isAlphaCode(c) || isDigitCode(c))
const isLowerAlpha = (t: string): boolean => all(t, (c) => c >= 97 && c <= 122)

function isVariant(t: string): boolean {
  return isAlnum(t, 5, 8) || (t.length === 4 && isDigitCode(t.charCodeAt(0)) && isAlnum(t, 4, 4))
}

function isSingleton(t: string): boolean {
  if (t.length !== 1) return false
  const c = t.charCodeAt(0) | 0x20
  return (isAlphaCode(t.charCodeAt(0)) && c !== 120) /* not x */ || isDigitCode(t.charCodeAt(0))
}

/** Parses `x-...` private use starting at subtag `i`; returns the index after it or -1. */
function privateUseEnd(tags: string[], i: number): number {
  if ((tags[i] as string).toLowerCase() !== 'x') return -1
  let j = i + 1
  while (j < tags.length && isAlnum(tags[j] as string, 1, 8)) j++
  return j === i + 1 || j !== tags.length ? -1 : j
}

/**
 * @internal Parses a BCP-47 tag (RFC 5646 section 2.1 grammar) with the extra rules the atproto
 * fixtures require: the primary language subtag is 2-3 lower-case letters, and no variant or
 * extension singleton repeats (case-insensitively).
 */
function parseTag(s: string): LanguageTag | Problem {
  if (s.length === 0) return { message: 'language tag is empty' }
  if (GRANDFATHERED.has(s)) return { grandfathered: s }
  const tags = s.split('-')
  for (let k = 0; k < tags.length; k++) {
    if ((tags[k] as string).length === 0) return { message: 'language tag has an empty subtag' }
  }
  if (privateUseEnd(tags, 0) === tags.length) return { privateUse: s }
  const language = tags[0] as string
  if (!isAlpha(language, 2, 8)) return { message: 'language subtag must be 2 to 8 letters', offset: 0 }
  if (language.length > 3 || !isLowerAlpha(language)) {
    return { message: 'primary language subtag must be 2 or 3 lower-case letters', offset: 0 }
  }
  let i = 1
  const extlang: string[] = []
  while (i < tags.length && extlang.length < 3 && isAlpha(tags[i] as string, 3, 3))
    extlang.push(tags[i++] as string)
  let script: string | undefined
  if (i < tags.length && isAlpha(tags[i] as string, 4, 4)) script = tags[i++]
  let region: string | undefined
  const r = tags[i]
  if (r !== undefined && (isAlpha(r, 2, 2) || (r.length === 3 && all(r, isDigitCode)))) {
    region = r
    i++
  }
  const variants: string[] = []
  const seen = new Set<string>()
  while (i < tags.length && isVariant(tags[i] as string)) {
    const v = (tags[i] as string).toLowerCase()
    if (seen.has(v)) return { message: `language tag repeats the variant "${tags[i]}"` }
    seen.add(v)
    variants.push(tags[i++] as string)
  }
  const extensions: string[] = []
  const singletons = new Set<string>()
  while (i < tags.length && isSingleton(tags[i] as string)) {
    const single = (tags[i] as string).toLowerCase()
    if (singletons.has(single)) return { message: `language tag repeats the extension "${tags[i]}"` }
    singletons.add(single)
    const start = i++
    while (i < tags.length && isAlnum(tags[i] as string, 2, 8)) i++
    if (i === start + 1) return { message: 'language extension needs at least one subtag of 2-8 characters' }
    extensions.push(tags.slice(start, i).join('-'))
  }
  let privateUse: string | undefined
  if (i < tags.length) {
    if (privateUseEnd(tags, i) !== tags.length) {
      return { message: `language tag has an unexpected subtag "${tags[i]}"` }
    }
    privateUse = tags.slice(i).join('-')
  }
  return {
    language,
    ...(extlang.length ? { extlang } : {}),
    ...(script ? { script } : {}),
    ...(region ? { region } : {}),
    ...(variants.length ? { variants } : {}),
    ...(extensions.length ? { extensions } : {}),
    ...(privateUse ? { privateUse } : {}),
  }
}

function isProblem(r: LanguageTag | Problem): r is Problem {
  return 'message' in r
}

/**
 * Whether `s` is a well-formed language tag as the atproto fixtures define it.
 * @example isValidLanguage('pt-BR') // true
 */
export function isValidLanguage(s: string): boolean {
  return typeof s === 'string' && !isProblem(parseTag(s))
}

/**
 * Throws unless `s` is a well-formed language tag.
 * @throws {InvalidLanguageError} saying which rule failed.
 * @example ensureValidLanguage('hy-Latn-IT-arevela')
 */
export function ensureValidLanguage(s: string): void {
  parseLanguage(s)
}

/**
 * Parses a language tag into its subtags.
 * @throws {InvalidLanguageError} when `s` is not well-formed.
 * @example parseLanguage('zh-Hant-TW').script // 'Hant'
 */
export function parseLanguage(s: string): LanguageTag {
  if (typeof s !== 'string') throw new TypeError('parseLanguage: argument must be a string')
  const r = parseTag(s)
  if (isProblem(r)) throw new InvalidLanguageError(s, r.message, r.offset)
  return r
}

/** Validates a language tag, returning the value or the issues. */
export function validateLanguage(s: string): ValidationResult<string> {
  const r = typeof s === 'string' ? parseTag(s) : { message: 'language tag must be a string' }
  return isProblem(r) ? failure('invalid_language', r) : { success: true, value: s }
}
