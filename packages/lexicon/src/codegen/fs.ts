// `rsky lex gen DIR OUT`: reads lexicon JSON files under a folder and writes generated TypeScript.
// Node-only (node:fs); the pure generator is generateLexiconTypes.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { NoLexiconsError } from './errors.ts'
import { type GenerateOptions, generateLexiconTypes } from './generate.ts'

/** Options of `lexGen`. */
export interface LexGenOptions {
  /** Folder searched recursively for `*.json` lexicon documents. */
  inputDir: string
  /**
   * More folders (searched the same way) whose lexicons resolve references; one of their
   * documents is generated only when an input document needs it, directly or through others.
   */
  includeDirs?: readonly string[]
  /** Folder the generated files are written to (created when missing). */
  outputDir: string
  /** See GenerateOptions. */
  importExtension?: GenerateOptions['importExtension']
  /** See GenerateOptions. */
  runtimeModule?: string
}

async function jsonFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...(await jsonFiles(p)))
    else if (e.name.endsWith('.json')) out.push(p)
  }
  return out.sort()
}

/** Every lexicon JSON document under `dir`. @throws NoLexiconsError, SyntaxError */
async function readDocuments(dir: string): Promise<unknown[]> {
  const files = await jsonFiles(dir)
  if (files.length === 0) throw new NoLexiconsError(dir)
  const documents: unknown[] = []
  for (const file of files) {
    const text = await readFile(file, 'utf8')
    try {
      documents.push(JSON.parse(text))
    } catch (err) {
      throw new SyntaxError(`lexicon file is not JSON; file=${file}; ${(err as Error).message}`)
    }
  }
  return documents
}

/**
 * Generates types and validators for every lexicon under `inputDir` into `outputDir`, resolving
 * references across `includeDirs` too. Nothing is written unless every reference resolves.
 * @returns paths written, relative to outputDir.
 * @throws {InvalidLexiconError} when a document is not valid lexicon.
 * @throws {UnresolvedLexiconRefsError} listing the references no folder resolves.
 * @throws {NoLexiconsError} when a folder holds no `*.json` file.
 * @throws {SyntaxError} when a file is not JSON (the message names the file).
 * @example
 * await lexGen({ inputDir: 'lexicons/app', includeDirs: ['lexicons/com'], outputDir: 'src/lexicons' })
 */
export async function lexGen(options: LexGenOptions): Promise<string[]> {
  const documents = await readDocuments(options.inputDir)
  const includeDocuments: unknown[] = []
  for (const dir of options.includeDirs ?? []) includeDocuments.push(...(await readDocuments(dir)))
  const files = generateLexiconTypes({
    documents,
    includeDocuments,
    ...(options.importExtension ? { importExtension: options.importExtension } : {}),
    ...(options.runtimeModule ? { runtimeModule: options.runtimeModule } : {}),
  })
  for (const f of files) {
    const target = join(options.outputDir, f.path)
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, f.contents)
  }
  return files.map((f) => f.path)
}
