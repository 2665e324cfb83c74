/** Where a command writes: readable text by default, one JSON document with --json. */
export interface Output {
  readonly json: boolean
  /** A line of the human-readable report (ignored with --json). */
  line(text?: string): void
  /** The machine-readable result (printed with --json only). */
  result(value: unknown): void
  /** One item of a listing or stream as one JSON line (printed with --json only), so output can be piped. */
  item(value: unknown): void
  /** A diagnostic on stderr, in both modes. */
  warn(text: string): void
}

export interface OutputStreams {
  stdout: { write(s: string): unknown }
  stderr: { write(s: string): unknown; isTTY?: boolean }
}

export function createOutput(json: boolean, streams: OutputStreams): Output {
  return {
    json,
    line: (text = '') => {
      if (!json) streams.stdout.write(`${text}\n`)
    },
    result: (value) => {
      if (json) streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
    },
    item: (value) => {
      if (json) streams.stdout.write(`${JSON.stringify(value)}\n`)
    },
    warn: (text) => {
      streams.stderr.write(`${text}\n`)
    },
  }
}

/** Right-aligned two-column rows, for "key  value" reports. */
export function keyValueLines(rows: Array<[string, string | number]>): string[] {
  const width = Math.max(0, ...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width + 1)}  ${v}`)
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`
  return `${(n / 1024 ** 3).toFixed(2)} GiB`
}
