// DNS over TCP (RFC 7766), used when a UDP answer comes back truncated. Node only.
import { connect } from 'node:net'
import { DnsError, ResolutionTimeoutError } from '../errors.ts'
import { decodeTxtResponse, encodeTxtQuery, type TxtAnswer } from './packet.ts'

/** One TXT query over TCP to `host:port`; resolves with the decoded answer. */
export function queryTxtTcpRaw(opts: {
  readonly name: string
  readonly host: string
  readonly port: number
  readonly server: string
  readonly id: number
  readonly timeoutMs: number
  readonly signal?: AbortSignal
}): Promise<TxtAnswer> {
  const query = encodeTxtQuery(opts.name, { id: opts.id, ednsUdpSize: 0 })
  const framed = new Uint8Array(2 + query.length)
  framed[0] = query.length >> 8
  framed[1] = query.length & 0xff
  framed.set(query, 2)
  return new Promise<TxtAnswer>((resolve, reject) => {
    const socket = connect({ host: opts.host, port: opts.port })
    // The length prefix caps a response at 65 535 bytes, so this buffer is bounded.
    let buf = new Uint8Array(0)
    let done = false
    const finish = (err: unknown, value?: TxtAnswer): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
      socket.destroy()
      if (err !== undefined) reject(err)
      else resolve(value!)
    }
    const onAbort = (): void => finish(opts.signal?.reason)
    const timer = setTimeout(
      () => finish(new ResolutionTimeoutError(`dns+tcp://${opts.server}`, opts.timeoutMs)),
      opts.timeoutMs,
    )
    if (opts.signal?.aborted) return finish(opts.signal.reason)
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish(new DnsError(opts.server, err.code ?? err.message)),
    )
    socket.on('close', () => finish(new DnsError(opts.server, 'tcp connection closed before the answer')))
    socket.on('data', (chunk: Buffer) => {
      const next = new Uint8Array(buf.length + chunk.length)
      next.set(buf)
      next.set(chunk, buf.length)
      buf = next
      if (buf.length < 2) return
      const len = (buf[0]! << 8) | buf[1]!
      if (buf.length < 2 + len) return
      try {
        finish(undefined, decodeTxtResponse(buf.subarray(2, 2 + len), { id: opts.id, name: opts.name }))
      } catch (err) {
        finish(new DnsError(opts.server, err instanceof Error ? err.message : 'malformed answer'))
      }
    })
    socket.on('connect', () => socket.write(framed))
  })
}
