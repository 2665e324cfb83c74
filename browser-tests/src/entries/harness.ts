// The in-page side: named checks run one after another, each result collected for the Node side,
// which reads window.__rskyResults once document.title says the run is over.

export interface CheckResult {
  name: string
  ok: boolean
  /** What the check counted (vectors, blocks, events), for the test output. */
  detail?: string
  error?: string
}

type Check = { name: string; fn: () => Promise<string | undefined> | string | undefined }

const checks: Check[] = []

/** Registers a check; it returns a short detail (counts) or throws. */
export function check(name: string, fn: Check['fn']): void {
  checks.push({ name, fn })
}

/** Throws with `message` unless `cond` holds. */
export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message)
}

/** Runs every registered check and publishes the results. */
export async function runChecks(): Promise<void> {
  const results: CheckResult[] = []
  for (const c of checks) {
    try {
      const detail = await c.fn()
      results.push(detail === undefined ? { name: c.name, ok: true } : { name: c.name, ok: true, detail })
    } catch (err) {
      results.push({
        name: c.name,
        ok: false,
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      })
    }
  }
  ;(globalThis as { __rskyResults?: CheckResult[] }).__rskyResults = results
  document.title = 'done'
}

export async function fetchJson<T>(path: string): Promise<T> {
  const res = await fetch(path)
  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`)
  return (await res.json()) as T
}

export async function fetchBytes(path: string): Promise<Uint8Array> {
  const res = await fetch(path)
  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`)
  return new Uint8Array(await res.arrayBuffer())
}

export async function fetchText(path: string): Promise<string> {
  const res = await fetch(path)
  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`)
  return res.text()
}

/** The lines of an interop syntax file that are test cases (no comments, no blank lines). */
export function vectorLines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0 && !l.startsWith('#'))
}

export function base64ToBytes(b64: string): Uint8Array {
  const s = atob(b64.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64.length % 4)) % 4))
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}
