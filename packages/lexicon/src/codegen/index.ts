// @rsky/lexicon/codegen: TypeScript types and typed validators generated from lexicons.

export { NoLexiconsError, UnresolvedLexiconRefsError } from './errors.ts'
export { type LexGenOptions, lexGen } from './fs.ts'
export { type GeneratedFile, type GenerateOptions, generateLexiconTypes } from './generate.ts'
