// The fix: the same tests on the per-worker PGlite from vitest-memory/db/postgres. Memory stays
// flat and no test leaves an instance open; every test starts from an empty database.
import { expect } from 'vitest'
import { customers } from './src/schema.ts'
import { TESTS } from './src/cases.ts'
import { test } from './src/db-test.ts'
import { orderTotal, placeOrder } from './src/shop.ts'

for (let n = 1; n <= TESTS; n++) {
  test(`order ${n}: total is quantity x price`, async ({ db }) => {
    const id = await placeOrder(db, n)
    expect(await orderTotal(db, id)).toBe(2500)
    // Rows are rolled back after each test (sequences are not: Postgres never rolls them back).
    expect(await db.$count(customers)).toBe(1)
  })
}
