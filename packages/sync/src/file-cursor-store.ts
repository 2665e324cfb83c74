import { readFile, rename, writeFile } from 'node:fs/promises'
import type { CursorStore } from './cursor.ts'

/**
 * A {@link CursorStore} in a small file (Node only: import from `@rsky/sync/node`). Writes go
 * to a temporary file first and are renamed into place, so a crash never leaves half a number.
 * @example const store = new FileCursorStore('./firehose.cursor')
 */
export class FileCursorStore implements CursorStore {
  readonly path: string
  constructor(path: string) {
    if (typeof path !== 'string' || path === '')
      throw new TypeError('FileCursorStore: path must be a non-empty string')
    this.path = path
  }
  async load(): Promise<number | undefined> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined
      throw err
    }
    // decimal digits only: a blank file is not cursor 0 (a replay of the whole window), `0x10` is not 16
    const t = text.trim()
    const n = /^(0|[1-9][0-9]*)$/.test(t) ? Number(t) : Number.NaN
    if (!Number.isSafeInteger(n))
      throw new RangeError(
        `cursor file does not hold a cursor; path=${this.path} text=${JSON.stringify(t.slice(0, 32))}`,
      )
    return n
  }
  async save(cursor: number): Promise<void> {
    const tmp = `${this.path}.tmp`
    await writeFile(tmp, `${cursor}\n`)
    await rename(tmp, this.path)
  }
}
