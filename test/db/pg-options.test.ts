// Options of createPgTest and the loader of its optional peers: every mistake gets a message
// that names the option (or package) and the fix.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { DbFixtureError } from '../../src/fixtures/errors.ts'
import { redactUrl, resolvePgOptions, type PgTestOptions } from '../../src/fixtures/pg-options.ts'
import { loadPgPeers, requirePgPeers } from '../../src/fixtures/pg-peers.ts'

const here = fileURLToPath(new URL('.', import.meta.url))
const fixture = join(here, '..', 'fixtures', 'pg-basic')
const resolve = (options: unknown, env: NodeJS.ProcessEnv = {}) => resolvePgOptions(options as PgTestOptions, fixture, env)
const SERVER_URL = 'postgres://app:secret@127.0.0.1:5432/postgres'

describe('resolvePgOptions', () => {
  test('defaults: PGlite, no URL, no migrations', () => {
    const { engine } = resolve({})
    expect(engine.kind).toBe('pglite')
    expect(engine.url).toBeUndefined()
    expect(engine.migrations).toBeUndefined()
  })

  test('server: the url option, else DATABASE_URL', () => {
    expect(resolve({ engine: 'server', url: SERVER_URL }, { DATABASE_URL: 'postgres://other/db' }).engine.url).toBe(SERVER_URL)
    expect(resolve({ engine: 'server' }, { DATABASE_URL: SERVER_URL }).engine.url).toBe(SERVER_URL)
  })

  test('migrations resolve against the root and keep their schema', () => {
    expect(resolve({ migrationsFolder: './drizzle', migrationsSchema: 'meta_schema' }).engine.migrations).toEqual({ migrationsFolder: join(fixture, 'drizzle'), migrationsSchema: 'meta_schema' })
  })

  test('the engine key separates configurations and matches identical ones', () => {
    const setup = () => {}
    expect(resolve({ setup }).engine.key).toBe(resolve({ setup: () => {} }).engine.key)
    expect(resolve({ setup }).engine.key).not.toBe(resolve({ setup, name: 'other' }).engine.key)
    expect(resolve({}).engine.key).not.toBe(resolve({ engine: 'server', url: SERVER_URL }).engine.key)
  })

  test.each([
    [{ engine: 'mysql' }, /`engine` must be 'pglite' \(embedded, the default\) or 'server'/],
    [{ engine: 'server' }, /engine 'server' needs a PostgreSQL server: set the `url` option or the DATABASE_URL environment variable/],
    [{ engine: 'server', url: 'mysql://x:pw@h/db' }, /must start with postgres:\/\/ or postgresql:\/\//],
    [{ engine: 'server', url: '' }, /`url` must be a connection URL/],
    [{ url: SERVER_URL }, /`url` is set but `engine` is 'pglite'/],
    [{ migrationsSchema: 'x' }, /`migrationsSchema` is set but `migrationsFolder` is not/],
    [{ migrationsFolder: './drizzle', migrationsSchema: 'bad name' }, /`migrationsSchema` must be a schema name/],
    [{ migrationsFolder: './nope' }, /`migrationsFolder`: .*nope is not a directory/],
    [{ pragmas: {} }, /createPgTest: unknown option `pragmas`\. Known options: engine, url,/],
    [{ setup: 'CREATE TABLE t ()' }, /`setup` must be a function/],
    [{ drizzle: 5 }, /`drizzle` must be an object of drizzle options/],
    [null, /createPgTest expects an options object/],
  ])('%j is refused with a message naming the fix', (options, message) => {
    let error: unknown
    try {
      resolve(options)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(DbFixtureError)
    expect((error as Error).message).toMatch(message)
  })

  test('passwords never appear in messages', () => {
    expect(redactUrl(SERVER_URL)).toBe('postgres://app:***@127.0.0.1:5432/postgres')
    expect(() => resolve({ engine: 'server', url: 'mysql://app:secret@h/db' })).toThrow(/mysql:\/\/app:\*\*\*@h\/db/)
  })
})

describe('Postgres peers', () => {
  const notFound = (specifier: string) => Object.assign(new Error(`Cannot find package '${specifier.split('/')[0]!.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]}' imported from x`), { code: 'ERR_MODULE_NOT_FOUND' })

  test('the installed peers load, for both engines', async () => {
    const peers = await loadPgPeers()
    expect(peers.missing).toEqual({ pglite: [], server: [] })
    expect(typeof requirePgPeers(peers, 'pglite').drizzle).toBe('function')
    expect(typeof requirePgPeers(peers, 'server').Transaction).toBe('function')
  })

  test('a missing driver is named, with the command that installs it, for its engine only', async () => {
    const real = (s: string) => import(s)
    const peers = await loadPgPeers((s) => (s === '@electric-sql/pglite' ? Promise.reject(notFound(s)) : real(s)))
    expect(peers.missing).toEqual({ pglite: ['@electric-sql/pglite'], server: [] })
    expect(() => requirePgPeers(peers, 'pglite')).toThrow(/engine 'pglite' needs the optional peer dependencies @electric-sql\/pglite \(>=0\.2 <1\) and drizzle-orm .*npm install --save-dev @electric-sql\/pglite/)
    expect(requirePgPeers(peers, 'server')).toBeDefined()
    const noPg = await loadPgPeers((s) => (s === 'pg' ? Promise.reject(notFound(s)) : real(s)))
    expect(() => requirePgPeers(noPg, 'server')).toThrow(/engine 'server' needs .*pg is not installed.*npm install --save-dev pg \(or use engine: 'pglite'/)
  })

  test('a peer that is installed but fails to load is reported as such', async () => {
    await expect(loadPgPeers((s) => (s === 'pg' ? Promise.reject(new Error('boom in pg')) : import(s)))).rejects.toThrow(/loading pg failed: boom in pg/)
  })
})
