// The official PDS and PLC directory in a process of their own, driven over IPC by crash tests:
// the process hosting the PDS then never spawns or kills the engine (see crash-sqlite.test.ts).
import { localWriter, type Writer } from './crash.ts'
import { startNetwork } from './pds.ts'

const { net, sc } = await startNetwork()
const w: Writer = localWriter(net, sc)
type Call = { id: number; op: 'newAccount' | 'post' | 'applyWrites' | 'like' | 'close'; args: unknown[] }

process.on('message', (msg: Call) => {
  void (async () => {
    try {
      if (msg.op === 'close') {
        await net.close()
        process.send?.({ id: msg.id, result: null }, () => process.exit(0))
        return
      }
      const fn = w[msg.op] as (...a: unknown[]) => Promise<unknown>
      const result = await fn(...msg.args)
      process.send?.({ id: msg.id, result })
    } catch (err) {
      process.send?.({ id: msg.id, error: String((err as Error)?.stack ?? err) })
    }
  })()
})
process.send?.({ ready: { pdsUrl: net.pds.url, plcUrl: net.plc.url } })
