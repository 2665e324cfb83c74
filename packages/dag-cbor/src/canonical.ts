// Pure helpers of the canonical encoder: key order, header sizes, walking encoded output.

/** Bytes of the CBOR header for argument `arg`. */
export function headerLength(arg: number): number {
  return arg < 24 ? 1 : arg < 0x100 ? 2 : arg < 0x10000 ? 3 : arg < 0x100000000 ? 5 : 9
}

// Insertion sort in canonical order for ASCII keys (UTF-16 length and order equal UTF-8 there).
// Maps are small and often already in order.
export function sortAsciiKeys(keys: string[]): void {
  const n = keys.length
  for (let i = 1; i < n; i++) {
    const k = keys[i] as string
    let j = i - 1
    while (j >= 0) {
      const o = keys[j] as string
      if (o.length < k.length || (o.length === k.length && o < k)) break
      keys[j + 1] = o
      j--
    }
    keys[j + 1] = k
  }
}

// Offset just past the item at `p` in output this encoder wrote (so it is well formed).
export function skipItem(b: Uint8Array, p: number): number {
  let pending = 1
  while (pending > 0) {
    pending--
    const ib = b[p++] as number
    const major = ib >> 5
    const info = ib & 31
    let arg = info
    if (major !== 7 && info >= 24) {
      const n = 1 << (info - 24)
      arg = 0
      for (let i = 0; i < n; i++) arg = arg * 256 + (b[p++] as number)
    }
    if (major === 2 || major === 3) p += arg
    else if (major === 4) pending += arg
    else if (major === 5) pending += 2 * arg
    else if (major === 6) pending += 1
  }
  return p
}

/** `$.a[2]["odd key"]` for the first `depth` segments of `path`. */
export function formatPath(path: readonly (string | number)[], depth: number): string {
  let out = '$'
  for (let i = 0; i < depth; i++) {
    const seg = path[i] as string | number
    out +=
      typeof seg === 'number'
        ? `[${seg}]`
        : /^[A-Za-z_$][\w$]*$/.test(seg)
          ? `.${seg}`
          : `[${JSON.stringify(seg)}]`
  }
  return out
}
