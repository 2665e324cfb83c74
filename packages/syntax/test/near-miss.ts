// Generators of "near-miss" strings: valid identifiers with a few small edits (a character
// inserted, removed, replaced, case-flipped, a separator doubled, the string cut or padded to a
// boundary length). Shared by the differential tests.
import fc from 'fast-check'

/** Characters that tend to sit on a validator's edge: separators, case, unicode look-alikes, controls. */
export const EDGE_CHARS: readonly string[] = [
  '.',
  ':',
  '/',
  '-',
  '_',
  '~',
  '#',
  '?',
  '%',
  '@',
  '+',
  '=',
  '!',
  '*',
  "'",
  '(',
  ')',
  '[',
  ']',
  '\\',
  ' ',
  '\t',
  '\n',
  '\u0000',
  '\u007f',
  '\u00a0',
  '\u2028',
  '\ufeff',
  'é',
  'K', // Kelvin sign: lower-cases to ASCII "k"
  'İ',
  '💩',
  'A',
  'Z',
  'a',
  'z',
  'x',
  'X',
  'T',
  't',
  'Z',
  '0',
  '1',
  '2',
  '7',
  '9',
  'j',
  'k',
]

const edgeChar = fc.constantFrom(...EDGE_CHARS)

type Edit =
  | { op: 'insert'; at: number; ch: string }
  | { op: 'delete'; at: number }
  | { op: 'replace'; at: number; ch: string }
  | { op: 'flipCase'; at: number }
  | { op: 'double'; at: number }
  | { op: 'truncate'; at: number }
  | { op: 'repeat'; at: number; n: number }

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), ch: edgeChar }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), ch: edgeChar }),
  fc.record({ op: fc.constant('flipCase' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('double' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('repeat' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 70 }) }),
)

function applyEdit(s: string, e: Edit): string {
  const at = s.length === 0 ? 0 : e.at % (s.length + 1)
  switch (e.op) {
    case 'insert':
      return s.slice(0, at) + e.ch + s.slice(at)
    case 'delete':
      return s.slice(0, at) + s.slice(at + 1)
    case 'replace':
      return s.slice(0, at) + e.ch + s.slice(at + 1)
    case 'flipCase': {
      const c = s.charAt(at)
      const f = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()
      return s.slice(0, at) + f + s.slice(at + 1)
    }
    case 'double':
      return s.slice(0, at) + s.charAt(at) + s.slice(at)
    case 'truncate':
      return s.slice(0, at)
    case 'repeat':
      // Grows one character into a run: walks labels and segments across their length limits.
      return s.slice(0, at) + s.charAt(at).repeat(e.n) + s.slice(at)
  }
}

/** Valid seeds with 0-3 edits applied; with no edits the seed itself is tested. */
export function nearMiss(seeds: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(seeds, fc.array(edit, { maxLength: 3 })).map(([s, edits]) => edits.reduce(applyEdit, s))
}

/** Random strings over the edge alphabet (no valid seed), for plain garbage. */
export const edgeString: fc.Arbitrary<string> = fc.array(edgeChar, { maxLength: 24 }).map((a) => a.join(''))

// --- valid seeds -------------------------------------------------------------------------

const lower = 'abcdefghijklmnopqrstuvwxyz'
const alnumChars = `${lower}ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789`

function strOf(chars: string, min: number, max: number): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...chars), { minLength: min, maxLength: max }).map((a) => a.join(''))
}

/** A DNS label, including the 63-character boundary. */
export const label: fc.Arbitrary<string> = fc.oneof(
  strOf(alnumChars, 1, 8),
  fc
    .tuple(strOf(alnumChars, 1, 1), strOf(`${alnumChars}-`, 0, 6), strOf(alnumChars, 1, 1))
    .map((p) => p.join('')),
  fc.constantFrom('a'.repeat(63), 'b'.repeat(62), 'xn--bcher-kva', '4chan', '0'),
)

const tld = fc.oneof(
  fc.tuple(strOf(lower, 1, 1), strOf(`${lower}0-9`, 0, 5)).map((p) => p.join('')),
  fc.constantFrom('com', 'test', 'social', 'local', 'onion', 'c'.repeat(63), 'xn--p1ai'),
)

export const handleSeed: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.array(label, { minLength: 1, maxLength: 4 }), tld).map(([ls, t]) => [...ls, t].join('.')),
  // 253 and 254 characters.
  fc.constantFrom(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`),
  fc.constantFrom(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`),
)

export const didSeed: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(strOf(lower, 1, 6), strOf(`${alnumChars}._:%-`, 1, 30)).map(([m, id]) => `did:${m}:${id}`),
  fc.constantFrom(
    'did:plc:ewvi7nxzyoun6zhxrhs64oiz',
    'did:web:example.com',
    'did:web:localhost%3A1234',
    `did:plc:${'a'.repeat(2040)}`,
    `did:plc:${'a'.repeat(2041)}`,
  ),
)

const nameSeg = fc
  .tuple(strOf(lower + lower.toUpperCase(), 1, 1), strOf(alnumChars, 0, 10))
  .map((p) => p.join(''))

export const nsidSeed: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(tld, fc.array(label, { minLength: 1, maxLength: 3 }), nameSeg)
    .map(([t, ls, n]) => [t, ...ls, n].join('.')),
  fc.constantFrom(
    'app.bsky.feed.post',
    'com.example.fooBar',
    `com.${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(55)}`,
    `com.example.${'n'.repeat(63)}`,
  ),
)

export const rkeySeed: fc.Arbitrary<string> = fc.oneof(
  strOf(`${alnumChars}._:~-`, 1, 20),
  fc.constantFrom('self', '.', '..', '...', 'a'.repeat(512), 'a'.repeat(511), '3jzfcijpj2z2a'),
)

const s32 = '234567abcdefghijklmnopqrstuvwxyz'
export const tidSeed: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(strOf('234567abcdefghij', 1, 1), strOf(s32, 12, 12)).map((p) => p.join('')),
  fc.constantFrom('3jzfcijpj2z2a', '2222222222222', 'bzzzzzzzzzzzz', 'jzzzzzzzzzzzz'),
)

const pad = (n: number, w: number): string => String(n).padStart(w, '0')
export const datetimeSeed: fc.Arbitrary<string> = fc
  .record({
    y: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 1, 1970, 2000, 2024, 9999)),
    mo: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 31 }),
    h: fc.integer({ min: 0, max: 23 }),
    mi: fc.integer({ min: 0, max: 59 }),
    s: fc.integer({ min: 0, max: 59 }),
    frac: fc.option(strOf('0123456789', 1, 12), { nil: undefined }),
    tz: fc.oneof(
      fc.constant('Z'),
      fc
        .tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
        .map(([sg, h, m]) => `${sg}${pad(h, 2)}:${pad(m, 2)}`),
    ),
  })
  .map(
    (r) =>
      `${pad(r.y, 4)}-${pad(r.mo, 2)}-${pad(r.d, 2)}T${pad(r.h, 2)}:${pad(r.mi, 2)}:${pad(r.s, 2)}` +
      `${r.frac === undefined ? '' : `.${r.frac}`}${r.tz}`,
  )

export const atUriSeed: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(didSeed, handleSeed),
    fc.option(nsidSeed, { nil: undefined }),
    fc.option(rkeySeed, { nil: undefined }),
    fc.option(fc.constantFrom('#/text', '#/a%20b', '#/', '#frag', '#/%FF'), { nil: undefined }),
  )
  .map(
    ([a, c, r, f]) => `at://${a}${c === undefined ? '' : `/${c}${r === undefined ? '' : `/${r}`}`}${f ?? ''}`,
  )

export const languageSeed: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      strOf(lower, 2, 3),
      fc.option(strOf(lower, 3, 3), { nil: undefined }),
      fc.option(fc.constantFrom('Latn', 'Hant', 'Cyrl'), { nil: undefined }),
      fc.option(fc.constantFrom('US', 'BR', '419', 'gb'), { nil: undefined }),
      fc.array(fc.constantFrom('1901', 'rozaj', 'biske', 'arevela', 'boont'), { maxLength: 2 }),
      fc.array(fc.constantFrom('u-co-phonebk', 'a-foo', 't-en-us', 'r-extended'), { maxLength: 2 }),
      fc.option(fc.constantFrom('x-private', 'x-a', 'X-foo'), { nil: undefined }),
    )
    .map((parts) =>
      parts
        .flat()
        .filter((p) => p !== undefined)
        .join('-'),
    ),
  fc.constantFrom('i-default', 'zh-hakka', 'en-GB-oed', 'x-foo', 'sgn-BE-NL', 'JA', 'jaja'),
)

export const uriSeed: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('https', 'http', 'dns', 'at', 'did', 'a', 'go', 'web+cal', 'x-y', 'ms.app', 'h2'),
      fc.constantFrom('://', ':'),
      strOf(`${alnumChars}./?#=&%-_~`, 1, 30),
    )
    .map((p) => p.join('')),
  fc.constantFrom(`https://example.com/${'x'.repeat(8170)}`, `https://example.com/${'x'.repeat(8173)}`),
)

export const cidSeed: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
    'bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy',
    'QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR',
    'zdj7WWeQ43G6JJvLWQWZpyHuAMq6uYWRjkBXFad11vE2LHhQ7',
  ),
  strOf(`${alnumChars}+=`, 6, 12),
)
