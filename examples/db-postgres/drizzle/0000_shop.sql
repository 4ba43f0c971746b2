CREATE TABLE "customers" ("id" serial PRIMARY KEY NOT NULL, "email" text NOT NULL, "name" text NOT NULL);
--> statement-breakpoint
CREATE UNIQUE INDEX "customers_email" ON "customers" USING btree ("email");
--> statement-breakpoint
CREATE TABLE "addresses" ("id" serial PRIMARY KEY NOT NULL, "customer_id" integer NOT NULL REFERENCES "customers"("id"), "line1" text NOT NULL, "city" text NOT NULL, "country" text NOT NULL);
--> statement-breakpoint
CREATE INDEX "addresses_customer" ON "addresses" USING btree ("customer_id");
--> statement-breakpoint
CREATE TABLE "products" ("id" serial PRIMARY KEY NOT NULL, "sku" text NOT NULL, "name" text NOT NULL, "price_cents" integer NOT NULL);
--> statement-breakpoint
CREATE UNIQUE INDEX "products_sku" ON "products" USING btree ("sku");
--> statement-breakpoint
CREATE TABLE "orders" ("id" serial PRIMARY KEY NOT NULL, "customer_id" integer NOT NULL REFERENCES "customers"("id"), "status" text NOT NULL);
--> statement-breakpoint
CREATE INDEX "orders_customer" ON "orders" USING btree ("customer_id");
--> statement-breakpoint
CREATE TABLE "order_items" ("id" serial PRIMARY KEY NOT NULL, "order_id" integer NOT NULL REFERENCES "orders"("id"), "product_id" integer NOT NULL REFERENCES "products"("id"), "quantity" integer NOT NULL, "price_cents" integer NOT NULL);
--> statement-breakpoint
CREATE INDEX "order_items_order" ON "order_items" USING btree ("order_id");
--> statement-breakpoint
CREATE TABLE "payments" ("id" serial PRIMARY KEY NOT NULL, "order_id" integer NOT NULL REFERENCES "orders"("id"), "amount_cents" integer NOT NULL, "method" text NOT NULL);
--> statement-breakpoint
CREATE INDEX "payments_order" ON "payments" USING btree ("order_id");
--> statement-breakpoint
CREATE TABLE "shipments" ("id" serial PRIMARY KEY NOT NULL, "order_id" integer NOT NULL REFERENCES "orders"("id"), "address_id" integer NOT NULL REFERENCES "addresses"("id"), "carrier" text NOT NULL);
--> statement-breakpoint
CREATE INDEX "shipments_order" ON "shipments" USING btree ("order_id");
