// Options of createDbTest and the loader of the optional peers: every mistake gets a message
// that names the option (or package) and the fix.
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { DbFixtureError } from '../../src/fixtures/errors.ts'
import { resolveDbOptions, type DbTestOptions } from '../../src/fixtures/options.ts'
import { isNotFound, loadPeers } from '../../src/fixtures/peers.ts'

const here = fileURLToPath(new URL('.', import.meta.url))
const resolve = (options: unknown) => resolveDbOptions(options as DbTestOptions<Record<string, never>>, here)

describe('resolveDbOptions', () => {
  test('defaults: in memory, foreign keys on, no foreign_key_check', () => {
    const { engine } = resolve({})
    expect(engine.file).toBe(false)
    expect(engine.pragmas).toEqual([['foreign_keys', 'ON']])
    expect(engine.foreignKeyCheck).toBe(false)
  })

  test('paths: relative to the root, URLs, file: true is the temp directory', () => {
    expect(resolve({ migrationsFolder: './drizzle' }).engine.migrations).toEqual({ migrationsFolder: join(here, 'drizzle') })
    expect(resolve({ migrationsFolder: new URL('./drizzle', import.meta.url) }).engine.migrations?.migrationsFolder).toBe(join(here, 'drizzle'))
    expect(resolve({ file: true }).engine.file).toBe(tmpdir())
    expect(resolve({ file: 'tmp-dbs' }).engine.file).toBe(join(here, 'tmp-dbs'))
  })

  test('pragmas merge over the defaults; booleans become ON/OFF', () => {
    expect(resolve({ pragmas: { foreign_keys: false, journal_mode: 'WAL', busy_timeout: 100 } }).engine.pragmas).toEqual([
      ['foreign_keys', 'OFF'], ['journal_mode', 'WAL'], ['busy_timeout', '100'],
    ])
  })

  test('the engine key separates configurations and matches identical ones', () => {
    const setup = () => {}
    expect(resolve({ setup }).engine.key).toBe(resolve({ setup: () => {} }).engine.key)
    expect(resolve({ setup }).engine.key).not.toBe(resolve({ setup, name: 'other' }).engine.key)
    expect(resolve({ setup }).engine.key).not.toBe(resolve({ setup, file: true }).engine.key)
  })

  test.each([
    [null, /expects an options object/],
    [{ migrationFolder: './drizzle' }, /unknown option `migrationFolder`. Known options: schema, migrationsFolder/],
    [{ migrationsFolder: './nope' }, /`migrationsFolder`: .*nope is not a directory.*relative paths resolve against the Vitest root/],
    [{ migrationsFolder: '.' }, /has no meta\/_journal.json.*drizzle-kit generate.*`setup` option/],
    [{ migrationsTable: 'x' }, /`migrationsTable` is set but `migrationsFolder` is not/],
    [{ setup: 'CREATE TABLE t (x)' }, /`setup` must be a function/],
    [{ file: 1 }, /`file` must be false \(in memory\), true/],
    [{ pragmas: { 'foreign_keys = OFF; --': 1 } }, /is not a pragma name/],
    [{ pragmas: { journal_mode: 'WAL; DROP TABLE users' } }, /`pragmas.journal_mode`: .* is not a pragma value/],
    [{ foreignKeyCheck: 'yes' }, /`foreignKeyCheck` must be true or false/],
  ])('rejects %j', (options, message) => {
    expect(() => resolve(options)).toThrow(DbFixtureError)
    expect(() => resolve(options)).toThrow(message)
  })
})

describe('loadPeers', () => {
  const notFound = (specifier: string) => Object.assign(new Error(`Cannot find package '${specifier.split('/')[0]}' imported from /app/node_modules/vitest-memory/dist/fixtures/peers.js`), { code: 'ERR_MODULE_NOT_FOUND' })

  test('names every missing package and the command that installs them', async () => {
    const error = await loadPeers(async (s) => { throw notFound(s) }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DbFixtureError)
    expect((error as Error).message).toBe(
      "vitest-memory/db: the DB fixtures need the optional peer dependencies better-sqlite3 (^12) and drizzle-orm (>=0.44 <1); " +
        'better-sqlite3 and drizzle-orm are not installed. Install them next to vitest-memory: npm install --save-dev better-sqlite3 drizzle-orm ' +
        "(the memory plugin itself, 'vitest-memory', does not need them).",
    )
  })

  test('names only what is missing', async () => {
    const real = (s: string) => import(s)
    const error = await loadPeers(async (s) => (s.startsWith('drizzle-orm') ? Promise.reject(notFound(s)) : real(s))).catch((e: unknown) => e)
    expect((error as Error).message).toMatch(/drizzle-orm is not installed\. Install it next to vitest-memory: npm install --save-dev drizzle-orm /)
  })

  test('other failures are reported as they are, not as a missing package', async () => {
    await expect(loadPeers(async () => { throw new Error('better-sqlite3: boom') })).rejects.toThrow('vitest-memory/db: loading better-sqlite3 failed: better-sqlite3: boom')
  })

  test('recognises the ways Node and Vite report a missing module', () => {
    expect(isNotFound(notFound('better-sqlite3'), 'better-sqlite3')).toBe(true)
    expect(isNotFound(Object.assign(new Error("Cannot find module 'better-sqlite3'"), { code: 'MODULE_NOT_FOUND' }), 'better-sqlite3')).toBe(true)
    expect(isNotFound(new Error('Failed to load url drizzle-orm/better-sqlite3 (resolved id: drizzle-orm/better-sqlite3)'), 'drizzle-orm')).toBe(true)
    expect(isNotFound(notFound('better-sqlite3'), 'drizzle-orm')).toBe(false)
  })

  test('loads the real packages', async () => {
    const peers = await loadPeers()
    expect(typeof peers.Database).toBe('function')
    expect(typeof peers.drizzle).toBe('function')
    expect(typeof peers.migrate).toBe('function')
  })
})

