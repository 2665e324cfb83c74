import { readSyntaxLines, recordInteropCount } from '@rsky/test-vectors'
import { describe, expect, it } from 'vitest'
import {
  ensureValidAtIdentifier,
  ensureValidAtUri,
  ensureValidCidString,
  ensureValidDatetime,
  ensureValidDid,
  ensureValidHandle,
  ensureValidLanguage,
  ensureValidNsid,
  ensureValidRecordKey,
  ensureValidTid,
  ensureValidUri,
  InvalidSyntaxError,
  isValidAtIdentifier,
  isValidAtUri,
  isValidCidString,
  isValidDatetime,
  isValidDid,
  isValidHandle,
  isValidLanguage,
  isValidNsid,
  isValidRecordKey,
  isValidTid,
  isValidUri,
  parseDatetime,
  parseLanguage,
} from '../src/index.ts'

type Kind = {
  is: (s: string) => boolean
  ensure: (s: string) => void
}

const KINDS: Record<string, Kind> = {
  atidentifier: { is: isValidAtIdentifier, ensure: ensureValidAtIdentifier },
  aturi: { is: isValidAtUri, ensure: ensureValidAtUri },
  cid: { is: isValidCidString, ensure: ensureValidCidString },
  datetime: { is: isValidDatetime, ensure: ensureValidDatetime },
  did: { is: isValidDid, ensure: ensureValidDid },
  handle: { is: isValidHandle, ensure: ensureValidHandle },
  language: { is: isValidLanguage, ensure: ensureValidLanguage },
  nsid: { is: isValidNsid, ensure: ensureValidNsid },
  recordkey: { is: isValidRecordKey, ensure: ensureValidRecordKey },
  tid: { is: isValidTid, ensure: ensureValidTid },
  uri: { is: isValidUri, ensure: ensureValidUri },
}

function check(file: string, run: (line: string) => void): void {
  const lines = readSyntaxLines(file)
  for (const line of lines) run(line)
  recordInteropCount(`syntax/${file}`, lines.length)
}

describe('atproto-interop-tests syntax/', () => {
  for (const [kind, fns] of Object.entries(KINDS)) {
    it(`${kind}_syntax_valid.txt: every line is accepted`, () => {
      check(`${kind}_syntax_valid.txt`, (line) => {
        expect(fns.is(line), JSON.stringify(line)).toBe(true)
        expect(() => fns.ensure(line)).not.toThrow()
      })
    })
    it(`${kind}_syntax_invalid.txt: every line is rejected with a named error`, () => {
      check(`${kind}_syntax_invalid.txt`, (line) => {
        expect(fns.is(line), JSON.stringify(line)).toBe(false)
        let err: unknown
        try {
          fns.ensure(line)
        } catch (e) {
          err = e
        }
        expect(err, JSON.stringify(line)).toBeInstanceOf(InvalidSyntaxError)
        expect((err as InvalidSyntaxError).input).toBe(line)
        expect((err as InvalidSyntaxError).code).toMatch(/^INVALID_/)
      })
    })
  }

  it('datetime_parse_invalid.txt: every line is rejected by validation and by parseDatetime', () => {
    check('datetime_parse_invalid.txt', (line) => {
      expect(isValidDatetime(line), line).toBe(false)
      expect(() => parseDatetime(line)).toThrow(InvalidSyntaxError)
    })
  })

  it('language_parse_invalid.txt: every line is rejected by validation and by parseLanguage', () => {
    check('language_parse_invalid.txt', (line) => {
      expect(isValidLanguage(line), line).toBe(false)
      expect(() => parseLanguage(line)).toThrow(InvalidSyntaxError)
    })
  })
})
