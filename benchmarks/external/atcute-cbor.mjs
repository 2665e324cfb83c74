#!/usr/bin/env node
// An external implementation for the harness, kept deliberately outside our code: it proves the
// protocol in src/external.ts that a non-TypeScript implementation (rsky's Rust crates) would speak.
// It runs @atcute/cbor on the dag-cbor suite's workload files in its own process. A workload file
// is one DAG-CBOR list of byte strings (the blocks of the case); each call decodes, or encodes the
// decoded form of, the next block in turn, as the in-process rows do.
//
//   node external/atcute-cbor.mjs --suite dag-cbor --case "<name>" --workload FILE --rounds N --round-ms MS
// prints {"msPerCall": n, "peakRssBytes": n} or {"skip": "..."}.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { decode, encode } from '@atcute/cbor'

const { values } = parseArgs({
  options: {
    suite: { type: 'string' },
    case: { type: 'string' },
    workload: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    'round-ms': { type: 'string', default: '400' },
  },
})

const list = decode(new Uint8Array(readFileSync(values.workload)))
// @atcute/cbor decodes a byte string to a wrapper holding the bytes in `buf`.
const blocks = Array.isArray(list) ? list.map((b) => b.buf ?? b) : []
let fn
let i = 0
if (values.suite !== 'dag-cbor' || blocks.length === 0) fn = undefined
else if (/^decode\b/i.test(values.case)) fn = () => decode(blocks[i++ % blocks.length])
else if (/^encode\b/i.test(values.case)) {
  const decoded = blocks.map((b) => decode(b))
  fn = () => encode(decoded[i++ % decoded.length])
}
if (!fn) {
  console.log(JSON.stringify({ skip: `no such case here: ${values.suite} / ${values.case}` }))
  process.exit(0)
}

// Peak RSS is reported as the harness does: the high-water mark minus the RSS before the calls.
const rssBefore = process.memoryUsage.rss()
const rounds = Number(values.rounds)
const roundMs = Number(values['round-ms'])
let calls = 0
const warm = performance.now()
while (performance.now() - warm < 300) {
  fn()
  calls++
}
const perRound = Math.max(1, Math.round((roundMs * calls) / (performance.now() - warm)))
const times = []
for (let r = 0; r < rounds; r++) {
  const t = performance.now()
  for (let i = 0; i < perRound; i++) fn()
  times.push((performance.now() - t) / perRound)
}
times.sort((a, b) => a - b)
console.log(
  JSON.stringify({
    msPerCall: times[times.length >> 1],
    peakRssBytes: Math.max(0, process.resourceUsage().maxRSS * 1024 - rssBefore),
  }),
)
