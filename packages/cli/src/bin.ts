#!/usr/bin/env node
import { main } from './main.ts'

// `rsky repo ls FILE.car | head` closes the pipe early: that is the reader's choice, not an error,
// so stop quietly instead of letting Node print an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    process.exitCode = 1
  })
}

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
