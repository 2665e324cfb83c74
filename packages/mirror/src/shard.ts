/** One engine's share of the repositories: those whose {@link didHash} modulo `count` is `index`. */
export interface Shard {
  index: number
  count: number
}

/** FNV-1a (32 bits) of a DID: stable across processes, machines and languages. */
export function didHash(did: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < did.length; i++) {
    h ^= did.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/** Whether `did` belongs to `shard` (every DID when there is no shard). */
export function inShard(did: string, shard: Shard | undefined): boolean {
  return shard === undefined || didHash(did) % shard.count === shard.index
}

/**
 * Checks a shard option.
 * @throws RangeError when `count` is not a positive integer or `index` not in `[0, count)`
 */
export function checkShard(shard: Shard | undefined): Shard | undefined {
  if (shard === undefined) return undefined
  const { index, count } = shard
  if (!(Number.isSafeInteger(count) && count > 0))
    throw new RangeError('shard.count must be a positive integer')
  if (!(Number.isSafeInteger(index) && index >= 0 && index < count))
    throw new RangeError('shard.index must be an integer in [0, count)')
  return { index, count }
}
