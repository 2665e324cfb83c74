#!/usr/bin/env node
// An external implementation for the harness, kept deliberately outside our code: it proves the
// protocol in src/external.ts that a non-TypeScript implementation (rsky's Rust crates) would speak.
// It runs @atcute/cbor on the dag-cbor suite's workload files in its own process.
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

const input = new Uint8Array(readFileSync(values.workload))
let fn
if (values.suite !== 'dag-cbor') fn = undefined
else if (/\bdecode\b/i.test(values.case)) fn = () => decode(input)
else if (/\bencode\b/i.test(values.case)) {
  const value = decode(input)
  fn = () => encode(value)
}
if (!fn) {
  console.log(JSON.stringify({ skip: `no such case here: ${values.suite} / ${values.case}` }))
  process.exit(0)
}

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
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  }),
)
