// @rsky/mirror: A durable sync engine: backfill and firehose into SQLite or Postgres, exactly once across crashes.
export const PACKAGE_NAME = '@rsky/mirror'
