// The code under test: place an order in one transaction, and read an order's total.
import { eq, sql } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { addresses, customers, orderItems, orders, payments, products, shipments } from './schema.ts'

export type ShopDb = BetterSQLite3Database<Record<string, unknown>>

export function placeOrder(db: ShopDb, n: number): number {
  const customer = db.insert(customers).values({ email: `c${n}@example.com`, name: `Customer ${n}` }).returning({ id: customers.id }).get()
  const address = db.insert(addresses).values({ customerId: customer.id, line1: `${n} Main St`, city: 'Springfield', country: 'US' }).returning({ id: addresses.id }).get()
  const product = db.insert(products).values({ sku: `SKU-${n}`, name: 'Widget', priceCents: 1250 }).returning({ id: products.id }).get()
  // Code under test opens its own transaction: under the fixture it nests as a savepoint.
  return db.transaction((tx) => {
    const order = tx.insert(orders).values({ customerId: customer.id, status: 'placed' }).returning({ id: orders.id }).get()
    tx.insert(orderItems).values({ orderId: order.id, productId: product.id, quantity: 2, priceCents: 1250 }).run()
    tx.insert(payments).values({ orderId: order.id, amountCents: 2500, method: 'card' }).run()
    tx.insert(shipments).values({ orderId: order.id, addressId: address.id, carrier: 'UPS' }).run()
    return order.id
  })
}

export function orderTotal(db: ShopDb, orderId: number): number {
  const row = db
    .select({ total: sql<number>`sum(${orderItems.quantity} * ${orderItems.priceCents})` })
    .from(orderItems)
    .where(eq(orderItems.orderId, orderId))
    .get()
  return row?.total ?? 0
}
