/**
 * vitest-memory/db: database test fixtures for better-sqlite3 + drizzle-orm. One engine per
 * worker (built once: pragmas, migrations, setup), every test isolated by a transaction that is
 * rolled back after it. The fix for the "new engine and schema per test" memory growth.
 *
 * ```ts
 * // test/db.ts
 * import { createDbTest } from 'vitest-memory/db'
 * import * as schema from '../src/schema'
 * export const test = createDbTest({ schema, migrationsFolder: './drizzle' })
 *
 * // users.test.ts
 * test('creates a user', ({ db }) => {
 *   db.insert(schema.users).values({ name: 'Ada' }).run()   // rolled back after the test
 * })
 * ```
 *
 * better-sqlite3 (^12) and drizzle-orm (>=0.44 <1) are optional peer dependencies: importing
 * this module without them throws a {@link DbFixtureError} that names what to install.
 * Importing it also starts counting the better-sqlite3 engines tests leave open, which the
 * memory report shows per test (`handlesLeft["better-sqlite3 Database"]`).
 * @module
 */
import { buildDbTest, type DbTestAPI } from './fixtures/dbtest.ts'
import type { DbTestOptions } from './fixtures/options.ts'
import { loadPeers } from './fixtures/peers.ts'
import { installTracking } from './fixtures/tracking.ts'

const peers = await loadPeers()
installTracking(peers.Database)

/**
 * Create a Vitest `test` whose tests receive `db` (a drizzle instance) and `client` (its
 * better-sqlite3 connection), each test inside a transaction that is rolled back after it.
 *
 * - The engine is opened once per worker (Vitest `scope: 'worker'`; with the default isolation
 *   that is once per file, with `isolate: false` once per worker) and shared by every test API
 *   created with the same options. It is closed, and its file removed, when the worker ends.
 * - Code under test may call `db.transaction()`: it nests as a savepoint, and `tx.rollback()`
 *   or a throw undo just that part.
 * - Misuse fails the test with a {@link DbFixtureError} that says what happened and what to do:
 *   a test that commits (the database is then rebuilt, so later tests stay isolated), a
 *   concurrent test, an async transaction callback, an iterator left open, writes that land
 *   between tests, and (with `foreignKeyCheck`) foreign-key violations.
 *
 * Call it once in a shared module and import the result in your test files.
 */
export function createDbTest<TSchema extends Record<string, unknown> = Record<string, never>>(options: DbTestOptions<TSchema> = {}): DbTestAPI<TSchema> {
  return buildDbTest(peers, options)
}

export { withSeed, type DbFixtures, type DbTestAPI, type DrizzleDb, type SeedContext, type SeedFn } from './fixtures/dbtest.ts'
export type { SetupContext, SetupFn } from './fixtures/engine.ts'
export { DbFixtureError } from './fixtures/errors.ts'
export { DEFAULT_PRAGMAS, type DbTestOptions } from './fixtures/options.ts'
export { ENGINE_RESOURCE, engineStats, type EngineStats } from './fixtures/tracking.ts'
