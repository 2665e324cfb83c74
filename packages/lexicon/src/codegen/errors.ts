// Errors of the code generator: references no input resolves, and input folders without lexicons.
import type { LexiconRefIssue } from '../errors.ts'

/**
 * Thrown when generated code would import definitions that none of the documents hold: the
 * output would not type-check. `refs` lists every unresolved reference with the document and path
 * that holds it; `targets` the distinct definitions missing.
 */
export class UnresolvedLexiconRefsError extends Error {
  override name = 'UnresolvedLexiconRefsError'
  readonly code = 'LEXICON_UNRESOLVED_REFS'
  readonly refs: readonly LexiconRefIssue[]
  readonly targets: readonly string[]
  constructor(refs: readonly LexiconRefIssue[]) {
    const targets = [...new Set(refs.map((r) => r.ref))].sort()
    super(
      `lexicons reference definitions in none of the documents (add the folder that holds them with --include); unresolved=${targets.join(', ')}; references=${refs.length}`,
    )
    this.refs = refs
    this.targets = targets
  }
}

/** Thrown by `lexGen` when a folder it was given holds no `*.json` lexicon document. */
export class NoLexiconsError extends Error {
  override name = 'NoLexiconsError'
  readonly code = 'NO_LEXICONS'
  readonly dir: string
  constructor(dir: string) {
    super(`no lexicon JSON files in the folder; dir=${dir}`)
    this.dir = dir
  }
}
