import { type ChildProcess, fork } from 'node:child_process'
import { join } from 'node:path'
import type { Writer } from './crash.ts'

/** Starts pds-host.ts and returns a {@link Writer} over IPC, and how to stop it. */
export async function startRemotePds(): Promise<{
  writer: Writer
  close: () => Promise<void>
  child: ChildProcess
}> {
  const child = fork(join(import.meta.dirname, 'pds-host.ts'), [], {
    execArgv: ['--conditions=source', '--no-warnings'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  let next = 0
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  const ready = new Promise<{ pdsUrl: string; plcUrl: string }>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`pds-host exited; code=${code} signal=${signal}`)))
    child.on(
      'message',
      (m: { ready?: { pdsUrl: string; plcUrl: string }; id?: number; result?: unknown; error?: string }) => {
        if (m.ready) return resolve(m.ready)
        const w = waiting.get(m.id as number)
        if (!w) return
        waiting.delete(m.id as number)
        if (m.error !== undefined) w.reject(new Error(m.error))
        else w.resolve(m.result)
      },
    )
  })
  child.on('exit', (code, signal) => {
    for (const w of waiting.values()) w.reject(new Error(`pds-host exited; code=${code} signal=${signal}`))
    waiting.clear()
  })
  const call = (op: string, ...args: unknown[]): Promise<never> =>
    new Promise((resolve, reject) => {
      const id = next++
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject })
      child.send({ id, op, args })
    })
  const urls = await ready
  const writer: Writer = {
    ...urls,
    newAccount: () => call('newAccount'),
    post: (did, text) => call('post', did, text),
    applyWrites: (did, creates, deletes) => call('applyWrites', did, creates, deletes),
    like: (did, post) => call('like', did, post),
  }
  return {
    writer,
    child,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      await call('close').catch(() => {})
    },
  }
}
