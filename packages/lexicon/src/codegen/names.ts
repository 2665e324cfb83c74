// Identifier and path helpers for generated code.

/** `replyRef` -> `ReplyRef`, `content-label` -> `ContentLabel`. */
export function pascal(name: string): string {
  const parts = name.split(/[^A-Za-z0-9]+/).filter(Boolean)
  const out = parts.map((p) => p[0]?.toUpperCase() + p.slice(1)).join('')
  return /^[0-9]/.test(out) ? `_${out}` : out || '_'
}

/** `app.bsky.feed.post` -> `AppBskyFeedPost` (the namespace a file is imported as). */
export function nsidIdent(nsid: string): string {
  return nsid.split('.').map(pascal).join('')
}

/** `app.bsky.feed.post` -> `app/bsky/feed/post` (file path without extension). */
export function nsidPath(nsid: string): string {
  return nsid.split('.').join('/')
}

/** Relative import specifier from file `from` to file `to` (both without extension). */
export function relativeImport(from: string, to: string, ext: string): string {
  const a = from.split('/').slice(0, -1)
  const b = to.split('/')
  let i = 0
  while (i < a.length && i < b.length - 1 && a[i] === b[i]) i++
  const up = a.length - i
  const rest = b.slice(i).join('/')
  return `${up === 0 ? './' : '../'.repeat(up)}${rest}${ext}`
}

/** A property key as written in a type literal. */
export function propKey(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : JSON.stringify(key)
}
