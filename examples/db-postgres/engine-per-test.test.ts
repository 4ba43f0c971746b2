// MEM-001 (seeds/002) on Postgres: every test starts its own PGlite (Postgres in WebAssembly,
// tens of MB each) and runs the migrations, and a module-level registry keeps each one alive.
// The memory report flags it: RSS grows by each instance, and each test leaves one open
// (handlesLeft.PGlite).
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { drizzle } from 'drizzle-orm/pglite'
import { migrate } from 'drizzle-orm/pglite/migrator'
import { beforeEach, expect, test } from 'vitest'
import { TESTS } from './src/cases.ts'
import * as schema from './src/schema.ts'
import { orderTotal, placeOrder, type ShopDb } from './src/shop.ts'

const migrationsFolder = fileURLToPath(new URL('./drizzle', import.meta.url))
const registry: PGlite[] = []
let db: ShopDb

beforeEach(async () => {
  const client = new PGlite()
  db = drizzle({ client, schema })
  await migrate(db, { migrationsFolder })
  registry.push(client) // never closed, never cleared
})

for (let n = 1; n <= TESTS; n++) {
  test(`order ${n}: total is quantity x price`, async () => {
    const id = await placeOrder(db, n)
    expect(await orderTotal(db, id)).toBe(2500)
  })
}
