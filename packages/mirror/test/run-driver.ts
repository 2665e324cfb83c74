import { spawn } from 'node:child_process'
import { join } from 'node:path'

const root = join(import.meta.dirname, '../../..')

/** Runs crash-driver.ts to the end (at most 180 s); resolves to its exit code and its output. */
export function runDriver(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--no-warnings', join(import.meta.dirname, 'crash-driver.ts'), ...args],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    output += d
  })
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    output += d
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 180_000)
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output: output.slice(-4000) })
    })
  })
}
