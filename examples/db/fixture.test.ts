// The fix: the same tests on the per-worker engine from vitest-memory/db. Memory stays flat and
// no test leaves an engine open; every test starts from an empty database (ids restart at 1).
import { expect } from 'vitest'
import { TESTS } from './src/cases.ts'
import { test } from './src/db-test.ts'
import { orderTotal, placeOrder } from './src/shop.ts'

for (let n = 1; n <= TESTS; n++) {
  test(`order ${n}: total is quantity x price`, ({ db }) => {
    const id = placeOrder(db, n)
    expect(id).toBe(1)
    expect(orderTotal(db, id)).toBe(2500)
  })
}
