import type { Cid } from '@rsky/dag-cbor'

/** A CAR v1 header. */
export interface CarHeader {
  version: 1
  roots: Cid[]
}

/** One block of a CAR file: its CID and its bytes. */
export interface CarBlock {
  cid: Cid
  bytes: Uint8Array
}

/** Caps and checks for reading a CAR file; every cap has a safe default. */
export interface CarReadOptions {
  /** Hash every block and compare with its CID (default true). Only turn off for bytes you produced. */
  verify?: boolean
  /** Largest header section in bytes (default 65,536). */
  maxHeaderBytes?: number
  /** Largest block in bytes, CID excluded (default 2 MiB: atproto records are far smaller). */
  maxBlockBytes?: number
  /** Largest file in bytes (default unlimited: the stream reader holds one block at a time). */
  maxTotalBytes?: number
  /** Most blocks in the file (default unlimited). */
  maxBlocks?: number
}

/** Defaults of {@link CarReadOptions}. */
export const CAR_READ_DEFAULTS: Readonly<Required<CarReadOptions>> = Object.freeze({
  verify: true,
  maxHeaderBytes: 65_536,
  maxBlockBytes: 2 * 1024 * 1024,
  maxTotalBytes: Infinity,
  maxBlocks: Infinity,
})

/** Options resolved against the defaults and checked once (caller mistakes are Type/RangeErrors). */
export function resolveReadOptions(opts: CarReadOptions | undefined): Required<CarReadOptions> {
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) {
    throw new TypeError('options must be an object')
  }
  const out: Record<string, unknown> = { ...CAR_READ_DEFAULTS }
  for (const key in out) {
    const v = (opts as Record<string, unknown> | undefined)?.[key]
    if (v === undefined) continue
    // A value of the default's type (boolean or number: both pass the second test), numbers not negative.
    if (typeof v !== typeof out[key] || !((v as number) >= 0))
      throw key === 'verify'
        ? new TypeError('options.verify must be a boolean')
        : new RangeError(`options.${key} must be a non-negative number`)
    out[key] = v
  }
  return out as Required<CarReadOptions>
}
