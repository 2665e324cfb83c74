#!/usr/bin/env node
import { main } from './main.ts'

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    // main() handles every error itself; reaching here is a bug, still reported in one line.
    process.stderr.write(`rsky: internal error: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  },
)
