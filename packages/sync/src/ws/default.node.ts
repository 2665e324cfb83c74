import WebSocket from 'ws'
import type { SocketFactory, SocketLike } from './types.ts'

/** Node: the `ws` package, which can pause reading and cap message size. */
export const defaultSocketFactory: SocketFactory = (url, opts) =>
  new WebSocket(url, { maxPayload: opts.maxPayload }) as unknown as SocketLike
