// The fix: one engine per worker (migrated once), each test inside a transaction rolled back after it.
import { createDbTest } from 'vitest-memory/db'
import * as schema from './schema.ts'

// A relative migrationsFolder resolves against the Vitest root (examples/db).
export const test = createDbTest({ schema, migrationsFolder: './drizzle' })
