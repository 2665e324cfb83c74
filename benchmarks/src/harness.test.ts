import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encode } from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { configuredExternals, runExternal } from './external.ts'
import { measure, rng, throughputOf } from './harness.ts'

describe('benchmark harness', () => {
  it('generates the same workload from the same seed', () => {
    expect(rng(7).bytes(64)).toEqual(rng(7).bytes(64))
    expect(rng(7).bytes(64)).not.toEqual(rng(8).bytes(64))
    const r = rng(3)
    for (let i = 0; i < 1000; i++) {
      const v = r.next()
      expect(v >= 0 && v < 1).toBe(true)
    }
  })

  it('measures a call and converts to throughput', async () => {
    const m = await measure(() => Math.sqrt(2), { rounds: 2, roundMs: 5, warmupMs: 5 })
    expect(m.msPerCall).toBeGreaterThan(0)
    expect(throughputOf(2, 10)).toBe(5000)
  })

  it('runs the external adapter as a separate process through the protocol', () => {
    const file = join(tmpdir(), `rsky-bench-ext-${process.pid}.cbor`)
    // A workload is a DAG-CBOR list of the case's blocks, cycled one per call.
    writeFileSync(file, encode([encode({ text: 'hello', n: 1 }), encode({ text: 'bye', n: 2 })]))
    const ext = configuredExternals().find((e) => e.label === '@atcute/cbor')!
    const opts = { rounds: 1, roundMs: 5, warmupMs: 5 }
    const c = { name: 'decode small map', impls: {}, workload: file }
    const r = runExternal(ext, 'dag-cbor', c, opts)
    expect(r?.external).toBe(true)
    expect(r?.error).toBeUndefined()
    expect(r!.throughput).toBeGreaterThan(0)
    expect(runExternal(ext, 'dag-cbor', { ...c, name: 'something else' }, opts)).toBeUndefined()
  })
})
