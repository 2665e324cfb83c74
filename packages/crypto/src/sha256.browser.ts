import { sha256 as jsSha256 } from './sha256-js.ts'

/** sha256 of `data`, synchronously (pure JS; the browser and reference path). */
export function sha256(data: Uint8Array): Uint8Array {
  return jsSha256(data)
}
