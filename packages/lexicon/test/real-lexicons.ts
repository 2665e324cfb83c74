// Loads the real-network lexicons (app.bsky, chat.bsky, com.atproto, tools.ozone) in place from
// ../shared/lexicons (or $RSKY_LEXICONS_DIR); they are never copied into the repo.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

/** Folder holding the real lexicon JSON files. */
export const LEXICONS_DIR: string =
  process.env['RSKY_LEXICONS_DIR'] ?? resolve(here, '../../../../shared/lexicons')

/** Every lexicon document under the folder, sorted by path. */
export function loadRealLexicons(): { path: string; doc: unknown }[] {
  if (!existsSync(LEXICONS_DIR)) throw new Error(`lexicons not found; path=${LEXICONS_DIR}`)
  const out: { path: string; doc: unknown }[] = []
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.json')) out.push({ path: p, doc: JSON.parse(readFileSync(p, 'utf8')) })
    }
  }
  walk(LEXICONS_DIR)
  return out
}
