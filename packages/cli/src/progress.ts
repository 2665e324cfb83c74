/**
 * A progress bar on stderr for long reads. It draws only when stderr is a terminal and the job is
 * large enough to be worth watching, so pipes and CI logs stay clean.
 */
export interface Progress {
  update(done: number): void
  finish(): void
}

const MIN_BYTES = 4 * 1024 * 1024
const noop: Progress = { update: () => {}, finish: () => {} }

export function createProgress(
  label: string,
  total: number,
  stderr: { write(s: string): unknown; isTTY?: boolean },
): Progress {
  if (!stderr.isTTY || total < MIN_BYTES) return noop
  let last = -1
  const width = 30
  const draw = (done: number) => {
    const pct = Math.min(100, Math.floor((done / total) * 100))
    if (pct === last) return
    last = pct
    const filled = Math.round((pct / 100) * width)
    stderr.write(
      `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}%`,
    )
  }
  return {
    update: draw,
    finish: () => {
      if (last >= 0) stderr.write(`\r${' '.repeat(label.length + width + 10)}\r`)
    },
  }
}

/**
 * A byte counter on stderr for downloads of unknown size, drawn only on a terminal and at most
 * every 200 ms.
 */
export function createByteCounter(
  label: string,
  stderr: { write(s: string): unknown; isTTY?: boolean },
): Progress {
  if (!stderr.isTTY) return noop
  let lastDraw = 0
  let drawn = false
  return {
    update: (done) => {
      const now = Date.now()
      if (now - lastDraw < 200) return
      lastDraw = now
      drawn = true
      stderr.write(`\r${label}: ${(done / 1024 / 1024).toFixed(1)} MiB`)
    },
    finish: () => {
      if (drawn) stderr.write(`\r${' '.repeat(label.length + 20)}\r`)
    },
  }
}

/** A remark for a person at a terminal (stderr, only when it is a TTY): never part of the output. */
export function note(stderr: { write(s: string): unknown; isTTY?: boolean }, text: string): void {
  if (stderr.isTTY) stderr.write(`${text}\n`)
}
