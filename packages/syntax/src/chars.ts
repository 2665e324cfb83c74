// Character classes as 128-entry lookup tables: one array read per character on the hot paths,
// instead of a regular expression.

/** @internal Builds an ASCII membership table from ranges like 'a-z' and single characters. */
export function asciiTable(spec: string): Uint8Array {
  const table = new Uint8Array(128)
  for (let i = 0; i < spec.length; i++) {
    const c = spec.charCodeAt(i)
    if (spec[i + 1] === '-' && i + 2 < spec.length) {
      const end = spec.charCodeAt(i + 2)
      for (let x = c; x <= end; x++) table[x] = 1
      i += 2
    } else {
      table[c] = 1
    }
  }
  return table
}

/** @internal `true` when `c` is an ASCII code in `table`. */
export function inTable(table: Uint8Array, c: number): boolean {
  return c < 128 && table[c] === 1
}

export const ALNUM: Uint8Array = /* @__PURE__ */ asciiTable('a-zA-Z0-9')
export const DID_CHARS: Uint8Array = /* @__PURE__ */ asciiTable('a-zA-Z0-9._:%-')
export const RKEY_CHARS: Uint8Array = /* @__PURE__ */ asciiTable('a-zA-Z0-9._:~-')
/** base32-sortable alphabet used by TIDs. */
export const S32_ALPHABET = '234567abcdefghijklmnopqrstuvwxyz'

export function isAsciiLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90)
}

export function isAsciiDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

export function isLowerLetter(c: number): boolean {
  return c >= 97 && c <= 122
}

/** @internal First index of a character outside `table`, or -1. */
export function firstOutside(table: Uint8Array, s: string, from = 0): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 128 || table[c] !== 1) return i
  }
  return -1
}

/** @internal Value of each base32-sortable character, -1 for characters outside the alphabet. */
export const S32_VALUE: Int8Array = /* @__PURE__ */ (() => {
  const t = new Int8Array(128).fill(-1)
  for (let i = 0; i < S32_ALPHABET.length; i++) t[S32_ALPHABET.charCodeAt(i)] = i
  return t
})()
