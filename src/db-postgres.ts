/**
 * vitest-memory/db/postgres: database test fixtures for Postgres + drizzle-orm, with the same API
 * as `vitest-memory/db`. One engine per worker (built once: migrations, setup), every test
 * isolated by a transaction that is rolled back after it.
 *
 * - `engine: 'pglite'` (the default): PGlite, Postgres in WebAssembly, in the worker: no server.
 * - `engine: 'server'`: a PostgreSQL server through `pg`, at `url` or DATABASE_URL; each worker
 *   gets its own database, copied from a migrated template (`CREATE DATABASE ... TEMPLATE`).
 *
 * ```ts
 * // test/db.ts
 * import { createPgTest } from 'vitest-memory/db/postgres'
 * import * as schema from '../src/schema'
 * export const test = createPgTest({ schema, migrationsFolder: './drizzle' })
 *
 * // users.test.ts
 * test('creates a user', async ({ db }) => {
 *   await db.insert(schema.users).values({ name: 'Ada' })   // rolled back after the test
 * })
 * ```
 *
 * drizzle-orm and the engine's driver (@electric-sql/pglite, or pg) are optional peer
 * dependencies: createPgTest() throws a {@link DbFixtureError} that names what to install.
 * Importing this module also starts counting the pg clients, pools, checked-out pool clients and
 * PGlite instances tests leave open, which the memory report shows per test (`handlesLeft`).
 * @module
 */
import type { PGlite } from '@electric-sql/pglite'
import type { NodePgDatabase } from 'drizzle-orm/node-postgres'
import type { PgliteDatabase } from 'drizzle-orm/pglite'
import type { Client as PgClient } from 'pg'
import type { TestAPI } from 'vitest'
import { buildFixtureTest, type FixtureEngine } from './fixtures/dbtest.ts'
import { acquireShared, releaseShared } from './fixtures/engine.ts'
import { PgEngine } from './fixtures/pg-engine.ts'
import { resolvePgOptions, type PgTestOptions } from './fixtures/pg-options.ts'
import { loadPgPeers, requirePgPeers } from './fixtures/pg-peers.ts'
import { installPgTracking } from './fixtures/pg-tracking.ts'

const peers = await loadPgPeers()
installPgTracking(peers.pg, peers.PGlite)

/** The drizzle instance tests receive as `db` on PGlite. */
export type PgliteDb<TSchema extends Record<string, unknown> = Record<string, never>> = PgliteDatabase<TSchema> & { $client: PGlite }
/** The drizzle instance tests receive as `db` on a server. */
export type ServerDb<TSchema extends Record<string, unknown> = Record<string, never>> = NodePgDatabase<TSchema> & { $client: PgClient }

/** A Vitest `test` with the Postgres DB fixtures `db` and `client`. */
export type PgTestAPI<Db, Client> = TestAPI<{ db: Db; client: Client }> & {
  /**
   * A `test` whose files start from rows inserted by `seed`, once per file: the seed runs inside
   * the file's transaction before its first test, and every test is rolled back to the seeded
   * state by a savepoint.
   */
  withSeed(seed: (ctx: { db: Db; client: Client }) => unknown): PgTestAPI<Db, Client>
}

/**
 * Create a Vitest `test` whose tests receive `db` (a drizzle instance) and `client` (its PGlite
 * instance or pg.Client), each test inside a transaction that is rolled back after it.
 *
 * - The engine is opened once per worker (Vitest `scope: 'worker'`) and shared by every test
 *   API created with the same options; closed (and on a server its database dropped) when the
 *   worker ends.
 * - `db.transaction()` in the code under test opens a savepoint: a throw or `tx.rollback()`
 *   undoes just that part. (Its isolation-level config does not apply to a savepoint.)
 * - A test that commits fails with a {@link DbFixtureError}, and the database is rebuilt so
 *   later tests stay isolated; so does a concurrent test.
 *
 * Call it once in a shared module and import the result in your test files.
 */
export function createPgTest<TSchema extends Record<string, unknown> = Record<string, never>>(options?: PgTestOptions<TSchema> & { engine?: 'pglite' }): PgTestAPI<PgliteDb<TSchema>, PGlite>
export function createPgTest<TSchema extends Record<string, unknown> = Record<string, never>>(options: PgTestOptions<TSchema> & { engine: 'server' }): PgTestAPI<ServerDb<TSchema>, PgClient>
export function createPgTest<TSchema extends Record<string, unknown> = Record<string, never>>(options: PgTestOptions<TSchema> = {}): unknown {
  const resolved = resolvePgOptions(options)
  const driver = requirePgPeers(peers, resolved.engine.kind)
  const drizzleConfig: Record<string, unknown> = { ...resolved.drizzle, ...(resolved.schema ? { schema: resolved.schema } : {}) }
  const engines = new WeakMap<FixtureEngine<unknown, unknown>, PgEngine>()
  return buildFixtureTest<unknown, unknown>({
    async acquire() {
      const engine = await acquireShared(resolved.engine.key, () => PgEngine.open(resolved.engine, peers, driver))
      // The drizzle instance of this test API (its schema), made again when a rebuild replaced the connection.
      let cached: { client: unknown; db: unknown } | undefined
      const fixture: FixtureEngine<unknown, unknown> = {
        get db() {
          if (!cached || cached.client !== engine.client) cached = { client: engine.client, db: engine.drizzleFor(drizzleConfig) }
          return cached.db
        },
        get client() {
          return engine.client
        },
        enterTest: (test, seed) => engine.enterTest(test, seed),
        leaveTest: () => engine.leaveTest(),
        endFile: () => engine.endFile(),
      }
      engines.set(fixture, engine)
      return fixture
    },
    release: (fixture) => releaseShared(engines.get(fixture)!),
  })
}

export type { PgSetupContext, PgSetupFn } from './fixtures/pg-engine.ts'
export type { PgTestOptions } from './fixtures/pg-options.ts'
export { DbFixtureError } from './fixtures/errors.ts'
export { PG_CHECKOUT_RESOURCE, PG_CLIENT_RESOURCE, PG_POOL_RESOURCE, PGLITE_RESOURCE } from './fixtures/pg-tracking.ts'
