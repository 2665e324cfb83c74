import type { SocketFactory, SocketLike } from './types.ts'

/** Browsers, Deno, Bun: the built-in WebSocket (it cannot pause; the client closes and resumes instead). */
export const defaultSocketFactory: SocketFactory = (url) => {
  const Ctor = (globalThis as { WebSocket?: new (url: string) => unknown }).WebSocket
  if (Ctor === undefined) throw new TypeError('no global WebSocket; pass a socket factory')
  return new Ctor(url) as SocketLike
}
