// A small shop on Postgres: the seven tables an order touches, with foreign keys and indexes.
// Used by examples/db-postgres and bench/db-postgres.mjs; its migration is ../drizzle.
import { index, integer, pgTable, serial, text, uniqueIndex } from 'drizzle-orm/pg-core'

export const customers = pgTable('customers', {
  id: serial('id').primaryKey(),
  email: text('email').notNull(),
  name: text('name').notNull(),
}, (t) => [uniqueIndex('customers_email').on(t.email)])

export const addresses = pgTable('addresses', {
  id: serial('id').primaryKey(),
  customerId: integer('customer_id').notNull().references(() => customers.id),
  line1: text('line1').notNull(),
  city: text('city').notNull(),
  country: text('country').notNull(),
}, (t) => [index('addresses_customer').on(t.customerId)])

export const products = pgTable('products', {
  id: serial('id').primaryKey(),
  sku: text('sku').notNull(),
  name: text('name').notNull(),
  priceCents: integer('price_cents').notNull(),
}, (t) => [uniqueIndex('products_sku').on(t.sku)])

export const orders = pgTable('orders', {
  id: serial('id').primaryKey(),
  customerId: integer('customer_id').notNull().references(() => customers.id),
  status: text('status').notNull(),
}, (t) => [index('orders_customer').on(t.customerId)])

export const orderItems = pgTable('order_items', {
  id: serial('id').primaryKey(),
  orderId: integer('order_id').notNull().references(() => orders.id),
  productId: integer('product_id').notNull().references(() => products.id),
  quantity: integer('quantity').notNull(),
  priceCents: integer('price_cents').notNull(),
}, (t) => [index('order_items_order').on(t.orderId)])

export const payments = pgTable('payments', {
  id: serial('id').primaryKey(),
  orderId: integer('order_id').notNull().references(() => orders.id),
  amountCents: integer('amount_cents').notNull(),
  method: text('method').notNull(),
}, (t) => [index('payments_order').on(t.orderId)])

export const shipments = pgTable('shipments', {
  id: serial('id').primaryKey(),
  orderId: integer('order_id').notNull().references(() => orders.id),
  addressId: integer('address_id').notNull().references(() => addresses.id),
  carrier: text('carrier').notNull(),
}, (t) => [index('shipments_order').on(t.orderId)])
