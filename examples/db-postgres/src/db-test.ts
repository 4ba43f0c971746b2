// The fix: one PGlite per worker (migrated once), each test inside a transaction rolled back after it.
import { createPgTest } from 'vitest-memory/db/postgres'
import * as schema from './schema.ts'

// A relative migrationsFolder resolves against the Vitest root (examples/db-postgres).
export const test = createPgTest({ schema, migrationsFolder: './drizzle' })
