// The code under test: place an order in one transaction, and read an order's total.
import { eq, sql } from 'drizzle-orm'
import type { PgliteDatabase } from 'drizzle-orm/pglite'
import { addresses, customers, orderItems, orders, payments, products, shipments } from './schema.ts'

/** The example runs on PGlite (bench/db-postgres.mjs runs the same calls on a server too). */
export type ShopDb = PgliteDatabase<Record<string, unknown>>

export async function placeOrder(db: ShopDb, n: number): Promise<number> {
  const [customer] = await db.insert(customers).values({ email: `c${n}@example.com`, name: `Customer ${n}` }).returning({ id: customers.id })
  const [address] = await db.insert(addresses).values({ customerId: customer!.id, line1: `${n} Main St`, city: 'Springfield', country: 'US' }).returning({ id: addresses.id })
  const [product] = await db.insert(products).values({ sku: `SKU-${n}`, name: 'Widget', priceCents: 1250 }).returning({ id: products.id })
  // Code under test opens its own transaction: under the fixture it is a savepoint.
  return db.transaction(async (tx) => {
    const [order] = await tx.insert(orders).values({ customerId: customer!.id, status: 'placed' }).returning({ id: orders.id })
    await tx.insert(orderItems).values({ orderId: order!.id, productId: product!.id, quantity: 2, priceCents: 1250 })
    await tx.insert(payments).values({ orderId: order!.id, amountCents: 2500, method: 'card' })
    await tx.insert(shipments).values({ orderId: order!.id, addressId: address!.id, carrier: 'UPS' })
    return order!.id
  })
}

export async function orderTotal(db: ShopDb, orderId: number): Promise<number> {
  const [row] = await db
    .select({ total: sql<number>`sum(${orderItems.quantity} * ${orderItems.priceCents})::int` })
    .from(orderItems)
    .where(eq(orderItems.orderId, orderId))
  return row?.total ?? 0
}
