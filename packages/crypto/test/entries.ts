// Both entries, imported directly so every suite runs against the OpenSSL and the @noble paths.

import * as node from '../src/index.node.ts'
import * as browser from '../src/index.ts'

export type CryptoApi = typeof browser

/** `[label, api]` pairs for describe.each. */
export const ENTRIES: ReadonlyArray<readonly [string, CryptoApi]> = [
  ['node', node],
  ['browser', browser],
]

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
export const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
