// MEM-001 (seeds/002), in TypeScript: every test builds a new engine and runs the migrations,
// and a module-level registry (SQLModel.metadata in the original) keeps each engine alive.
// The memory report flags it: native memory grows with every test, and each test leaves an
// engine open (handlesLeft["better-sqlite3 Database"]).
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { beforeEach, expect, test } from 'vitest'
import { TESTS } from './src/cases.ts'
import * as schema from './src/schema.ts'
import { orderTotal, placeOrder, type ShopDb } from './src/shop.ts'

const migrationsFolder = fileURLToPath(new URL('./drizzle', import.meta.url))
const registry: Database.Database[] = []
let db: ShopDb

beforeEach(() => {
  const client = new Database(':memory:')
  client.pragma('foreign_keys = ON')
  db = drizzle({ client, schema })
  migrate(db, { migrationsFolder })
  registry.push(client) // never closed, never cleared
})

for (let n = 1; n <= TESTS; n++) {
  test(`order ${n}: total is quantity x price`, () => {
    const id = placeOrder(db, n)
    expect(orderTotal(db, id)).toBe(2500)
  })
}
