// Issue 18's bundle goal as a guard: every browser job stays within 1.5x of @atcute doing the same
// job. Bundle sizes are deterministic for a lockfile (esbuild, gzip -9), so this is a bound on
// bytes, not on time; the read job's margin is a few bytes, and this catches the change that eats it.
import { describe, expect, it } from 'vitest'
import { measureSizes, sizeJobs } from './size.ts'

const GOAL = 1.5

describe('browser bundle sizes against @atcute', () => {
  it(`every job is within ${GOAL}x`, { timeout: 120_000 }, async () => {
    const sizes = await measureSizes()
    expect(sizes.length).toBe(sizeJobs.length)
    expect(sizes.length).toBeGreaterThan(0)
    for (const s of sizes) {
      expect(s.error, s.job).toBeUndefined()
      expect(s.ours, s.job).toBeGreaterThan(0)
      expect({ job: s.job, over: s.ours > s.atcute * GOAL }).toEqual({ job: s.job, over: false })
    }
  })
})
