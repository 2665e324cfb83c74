// Seeded randomness for workloads and sample data: the same seed gives the same bytes everywhere.

/** A small deterministic PRNG (xoshiro128**) for reproducible workloads. */
export interface Rng {
  next(): number
  int(maxExclusive: number): number
  bytes(n: number): Uint8Array
  pick<T>(items: readonly T[]): T
  string(length: number, alphabet?: string): string
}

export function rng(seed: number): Rng {
  let a = seed >>> 0 || 1
  let b = 0x9e3779b9
  let c = 0x243f6a88
  let d = 0xb7e15162
  const next32 = (): number => {
    // xoshiro128** step
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0
    const t = b << 9
    c ^= a
    d ^= b
    b ^= c
    a ^= d
    c ^= t
    d = rotl(d, 11)
    return result
  }
  for (let i = 0; i < 16; i++) next32()
  const api: Rng = {
    next: () => next32() / 0x1_0000_0000,
    int: (max) => Math.floor(api.next() * max),
    bytes: (n) => {
      const out = new Uint8Array(n)
      for (let i = 0; i < n; i++) out[i] = next32() & 0xff
      return out
    },
    pick: (items) => items[api.int(items.length)]!,
    string: (length, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789') => {
      let s = ''
      for (let i = 0; i < length; i++) s += alphabet[api.int(alphabet.length)]
      return s
    },
  }
  return api
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}
