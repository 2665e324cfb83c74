// Type-checks a folder of generated TypeScript with the TypeScript compiler API under strict
// settings; shared by the codegen tests and the `rsky lex gen` CLI tests.
import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

/** The runtime's source entry, for generated code that imports `@rsky/lexicon`. */
export const RUNTIME_SOURCE: string = resolve(fileURLToPath(import.meta.url), '../../src/index.ts')

/**
 * Diagnostics (as `file: message` lines) for every `.ts` file under `dir`; `@rsky/lexicon` is
 * mapped to the runtime's source, so output written with the default runtime module checks too.
 */
export function typeCheckDir(dir: string): string[] {
  const roots = (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f))
  const program = ts.createProgram(roots, {
    strict: true,
    noEmit: true,
    noUnusedLocals: true,
    noUncheckedIndexedAccess: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    verbatimModuleSyntax: true,
    customConditions: ['source'],
    skipLibCheck: true,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: [],
    paths: { '@rsky/lexicon': [RUNTIME_SOURCE] },
  })
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || d.file.fileName.startsWith(dir))
    .map(
      (d) => `${d.file?.fileName.slice(dir.length)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    )
}
