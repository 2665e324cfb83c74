import { describe, expect, it } from 'vitest'
import { interopRoot, listInteropFiles, readSyntaxLines, recordInteropCount } from './index.ts'

describe('interop loader', () => {
  it('finds both suites in place', () => {
    expect(listInteropFiles('atproto-interop-tests', 'syntax', '.txt').length).toBeGreaterThan(20)
    expect(interopRoot('mst-test-suite')).toMatch(/mst-test-suite$/)
  })
  it('strips comments and blank lines from syntax files', () => {
    const lines = readSyntaxLines('did_syntax_valid.txt')
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.some((l) => l.startsWith('#'))).toBe(false)
  })
  it('refuses a suite that ran zero cases', () => {
    expect(() => recordInteropCount('empty', 0)).toThrow(/zero cases/)
  })
  it('honours the environment variable', () => {
    const before = process.env['RSKY_MST_TEST_SUITE']
    process.env['RSKY_MST_TEST_SUITE'] = '/elsewhere'
    try {
      expect(interopRoot('mst-test-suite')).toBe('/elsewhere')
    } finally {
      if (before === undefined) delete process.env['RSKY_MST_TEST_SUITE']
      else process.env['RSKY_MST_TEST_SUITE'] = before
    }
  })
})
