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
    const n = Number(text.trim())
    if (!Number.isSafeInteger(n) || n < 0)
      throw new RangeError(`cursor file does not hold a cursor; path=${this.path}`)
    return n
  }
  async save(cursor: number): Promise<void> {
    const tmp = `${this.path}.tmp`
    await writeFile(tmp, `${cursor}\n`)
    await rename(tmp, this.path)
  }
}
