import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { createTestDatabase } from './postgres.ts'

describe('createTestDatabase', () => {
  it('gives an empty database of its own and drops it', async () => {
    const db = await createTestDatabase()
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    const { rows } = await client.query('select current_database() as name')
    expect(rows[0].name).toBe(db.name)
    await client.end()
    await db.drop()
    const again = new pg.Client({ connectionString: db.url })
    await expect(again.connect()).rejects.toThrow()
    await again.end().catch(() => {})
  })
})
