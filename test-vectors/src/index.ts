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
export {
  createTestDatabase,
  DEFAULT_POSTGRES_URL,
  type EmbeddedPostgres,
  PostgresUnavailableError,
  postgresAdminUrl,
  postgresAnswers,
  startEmbeddedPostgres,
  type TestDatabase,
} from './postgres.ts'
export { type Rng, rng } from './rng.ts'
