/** The part of a WebSocket the stream clients use (WHATWG shape; `pause`/`resume` when available). */
export interface SocketLike {
  binaryType: string
  onopen: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  onclose: ((ev: { code?: number; reason?: string }) => void) | null
  onerror: ((ev: unknown) => void) | null
  close(code?: number, reason?: string): void
  /** Stops reading from the network (Node `ws`); absent in browsers. */
  pause?: () => void
  resume?: () => void
}

/** Opens a socket to `url`; `maxPayload` caps one incoming message where the runtime allows it. */
export type SocketFactory = (url: string, opts: { maxPayload: number }) => SocketLike
