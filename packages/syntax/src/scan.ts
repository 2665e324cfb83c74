// The boolean scanners behind every `isValid*` check. Each one reads a component that starts at
// `start` and stops at the first character its grammar does not allow (or at `len`), returning
// where it stopped, or -1 when what it read breaks a rule. A whole-string check is then
// `xEnd(s, 0, s.length) === s.length`, and the AT-URI check walks its parts in one pass, each
// part ending at the "/", "#" or "?" that follows it. They carry no messages: the `*Problem`
// scanners (what `ensureValid*` and `validate*` report) are the reference, and
// test/boolean-paths.test.ts keeps the two equal on fast-check inputs.

/** Character classes, one bit each, in one 128-entry table. */
const DID_ID = 1 // A-Za-z0-9._:%-
const RKEY = 2 // A-Za-z0-9._:~-
const FRAGMENT = 4 // A-Za-z0-9._~:@!$&')(*+,;=%[]/- (what the reference allows in a JSON-pointer fragment)

// A plain array of small integers: V8 reads it faster than a typed array in these loops.
const CLASS: readonly number[] = /* @__PURE__ */ (() => {
  const t: number[] = []
  for (let c = 0; c < 128; c++) {
    const alnum = ((c | 32) - 97) >>> 0 < 26 || (c - 48) >>> 0 < 10
    const common = alnum || c === 46 || c === 58 || c === 45 || c === 95 // . : - _
    t.push(
      (common || c === 37 ? DID_ID : 0) |
        (common || c === 126 ? RKEY : 0) |
        (common || c === 126 || "@!$&')(*+,;=%[]/".includes(String.fromCharCode(c)) ? FRAGMENT : 0),
    )
  }
  return t
})()

/** @internal ASCII letter. */
export const isLetter = (c: number): boolean => ((c | 32) - 97) >>> 0 < 26

/**
 * @internal A DID (`did:METHOD:ID`, at most 2048 characters, not ending in ":" or "%") at
 * `start`; returns its end or -1.
 */
export function didEnd(s: string, start: number, len: number): number {
  if (!s.startsWith('did:', start)) return -1
  let i = start + 4
  let c = 0
  for (; i < len; i++) {
    c = s.charCodeAt(i)
    if ((c - 97) >>> 0 >= 26) break
  }
  if (i === start + 4 || c !== 58) return -1
  // c stays ":" when the identifier is empty, which the final check rejects.
  for (i++; i < len; i++) {
    const d = s.charCodeAt(i)
    if (d >= 128 || ((CLASS[d] as number) & DID_ID) === 0) break
    c = d
  }
  return c === 58 || c === 37 || i - start > 2048 ? -1 : i
}

/** Start of the last label read by {@link labelsEnd}. */
let lastLabel = 0

/**
 * @internal Dot-separated labels of A-Za-z0-9- (each 1-63 long, no "-" at either end), at least
 * `minLabels` of them and at most `maxLength` characters in all; returns the end or -1 and
 * leaves the start of the last label in `lastLabel`. Handles and NSIDs share it.
 */
function labelsEnd(s: string, start: number, len: number, minLabels: number, maxLength: number): number {
  let labelStart = start
  let labels = 0
  for (let i = start; ; i++) {
    const c = i < len ? s.charCodeAt(i) : 0
    if (isLetter(c) || (c - 48) >>> 0 < 10 || c === 45) continue
    const n = i - labelStart
    if (n === 0 || n > 63 || s.charCodeAt(labelStart) === 45 || s.charCodeAt(i - 1) === 45) return -1
    labels++
    if (c !== 46) {
      lastLabel = labelStart
      return labels < minLabels || i - start > maxLength ? -1 : i
    }
    labelStart = i + 1
  }
}

/** @internal A handle at `start`: two or more labels, the last starting with a letter. */
export function handleEnd(s: string, start: number, len: number): number {
  const end = labelsEnd(s, start, len, 2, 253)
  return end < 0 || !isLetter(s.charCodeAt(lastLabel)) ? -1 : end
}

/**
 * @internal An NSID at `start`: three or more segments, the first and the last (the name)
 * starting with a letter, no "-" in the name.
 */
export function nsidEnd(s: string, start: number, len: number): number {
  const end = labelsEnd(s, start, len, 3, 317)
  if (end < 0 || !isLetter(s.charCodeAt(start)) || !isLetter(s.charCodeAt(lastLabel))) return -1
  const hyphen = s.indexOf('-', lastLabel)
  return hyphen >= 0 && hyphen < end ? -1 : end
}

/** @internal A record key at `start`: 1-512 of A-Za-z0-9._:~-, not "." or "..". */
export function rkeyEnd(s: string, start: number, len: number): number {
  let i = start
  while (i < len) {
    const c = s.charCodeAt(i)
    if (c >= 128 || ((CLASS[c] as number) & RKEY) === 0) break
    i++
  }
  const n = i - start
  if (n < 1 || n > 512) return -1
  return n <= 2 && s.charCodeAt(start) === 46 && (n === 1 || s.charCodeAt(start + 1) === 46) ? -1 : i
}

/** @internal An AT-URI fragment (after the "#") up to the end: "/" then JSON-pointer characters. */
export function isFragment(s: string, start: number): boolean {
  if (s.charCodeAt(start) !== 47) return false
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 128 || ((CLASS[c] as number) & FRAGMENT) === 0) return false
  }
  if (s.includes('%', start)) {
    try {
      decodeURIComponent(s.slice(start))
    } catch {
      return false
    }
  }
  return true
}

/**
 * @internal The restricted AT-URI of Lexicon `at-uri` fields: `at://AUTHORITY[/NSID[/RKEY]]`
 * and an optional `#/json-pointer`, at most 8192 characters.
 */
export function isAtUri(s: string): boolean {
  const len = s.length
  if (len > 8192 || !s.startsWith('at://')) return false
  let i = s.startsWith('did:', 5) ? didEnd(s, 5, len) : handleEnd(s, 5, len)
  if (i > 0 && s.charCodeAt(i) === 47) {
    i = nsidEnd(s, i + 1, len)
    if (i > 0 && s.charCodeAt(i) === 47) {
      i = rkeyEnd(s, i + 1, len)
      if (s.charCodeAt(i) === 47) return false
    }
  }
  return i === len || (i > 0 && s.charCodeAt(i) === 35 && isFragment(s, i + 1))
}
