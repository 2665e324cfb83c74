export {
  type InteropSuite,
  InteropVectorsMissingError,
  interopPath,
  interopRoot,
  listInteropFiles,
  readInteropJson,
  readInteropText,
  readSyntaxLines,
  recordInteropCount,
} from './interop.ts'
export { type Rng, rng } from './rng.ts'
