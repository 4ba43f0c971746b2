// A small shop: ten tables with foreign keys and indexes. Used by examples/db and bench/db.mjs.
import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

export const customers = sqliteTable('customers', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  email: text('email').notNull(),
  name: text('name').notNull(),
  createdAt: integer('created_at').notNull().default(sql`(unixepoch())`),
}, (t) => [uniqueIndex('customers_email').on(t.email)])

export const addresses = sqliteTable('addresses', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  customerId: integer('customer_id').notNull().references(() => customers.id),
  line1: text('line1').notNull(),
  city: text('city').notNull(),
  country: text('country').notNull(),
}, (t) => [index('addresses_customer').on(t.customerId)])

export const categories = sqliteTable('categories', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
}, (t) => [uniqueIndex('categories_name').on(t.name)])

export const products = sqliteTable('products', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  sku: text('sku').notNull(),
  name: text('name').notNull(),
  priceCents: integer('price_cents').notNull(),
}, (t) => [uniqueIndex('products_sku').on(t.sku)])

export const productCategories = sqliteTable('product_categories', {
  productId: integer('product_id').notNull().references(() => products.id),
  categoryId: integer('category_id').notNull().references(() => categories.id),
}, (t) => [primaryKey({ columns: [t.productId, t.categoryId] })])

export const orders = sqliteTable('orders', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  customerId: integer('customer_id').notNull().references(() => customers.id),
  status: text('status').notNull(),
  placedAt: integer('placed_at').notNull().default(sql`(unixepoch())`),
}, (t) => [index('orders_customer').on(t.customerId)])

export const orderItems = sqliteTable('order_items', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  orderId: integer('order_id').notNull().references(() => orders.id),
  productId: integer('product_id').notNull().references(() => products.id),
  quantity: integer('quantity').notNull(),
  priceCents: integer('price_cents').notNull(),
}, (t) => [index('order_items_order').on(t.orderId)])

export const payments = sqliteTable('payments', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  orderId: integer('order_id').notNull().references(() => orders.id),
  amountCents: integer('amount_cents').notNull(),
  method: text('method').notNull(),
}, (t) => [index('payments_order').on(t.orderId)])

export const shipments = sqliteTable('shipments', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  orderId: integer('order_id').notNull().references(() => orders.id),
  addressId: integer('address_id').notNull().references(() => addresses.id),
  carrier: text('carrier').notNull(),
}, (t) => [index('shipments_order').on(t.orderId)])

export const reviews = sqliteTable('reviews', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  productId: integer('product_id').notNull().references(() => products.id),
  customerId: integer('customer_id').notNull().references(() => customers.id),
  rating: integer('rating').notNull(),
  body: text('body'),
}, (t) => [index('reviews_product').on(t.productId)])
