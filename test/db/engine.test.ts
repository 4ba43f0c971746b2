// The engine behind the DB fixtures, driven directly: what happens when a test misuses the
// connection, and how the engine recovers so that later tests stay isolated.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, test } from 'vitest'
import { acquireEngine, DbEngine, releaseEngine, type EngineConfig, type TestRef } from '../../src/fixtures/engine.ts'
import { DbFixtureError } from '../../src/fixtures/errors.ts'
import { loadPeers, type Peers } from '../../src/fixtures/peers.ts'
import { countLeftOpen, engineStats, ENGINE_RESOURCE, installTracking } from '../../src/fixtures/tracking.ts'
import { resourceCounters } from '../../src/worker/slot.ts'

const DDL = `
  CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE);
  CREATE TABLE posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id) DEFERRABLE INITIALLY DEFERRED,
    title TEXT NOT NULL
  );
`

let peers: Peers
const opened: DbEngine[] = []

beforeAll(async () => {
  peers = await loadPeers()
  installTracking(peers.Database)
})

afterEach(() => {
  for (const engine of opened.splice(0)) engine.close()
})

function config(overrides: Partial<EngineConfig> = {}): EngineConfig {
  return {
    key: `test-${Math.random()}`,
    file: false,
    pragmas: [['foreign_keys', 'ON']],
    setup: ({ client }) => { client.exec(DDL) },
    foreignKeyCheck: false,
    ...overrides,
  }
}

async function open(overrides: Partial<EngineConfig> = {}): Promise<DbEngine> {
  const engine = await DbEngine.open(config(overrides), peers)
  opened.push(engine)
  return engine
}

const file = {}
const ref = (name: string, extra: Partial<TestRef> = {}): TestRef => ({ name, file, concurrent: false, ...extra })
const names = (engine: DbEngine) => engine.client.prepare('SELECT name FROM users ORDER BY id').pluck().all()

describe('per-test rollback', () => {
  test('rows and autoincrement counters are back after every test', async () => {
    const engine = await open()
    for (const name of ['a', 'b']) {
      await engine.enterTest(ref(name), undefined)
      expect(engine.client.prepare('INSERT INTO users (name) VALUES (?) RETURNING id').pluck().get(name)).toBe(1)
      expect(await engine.leaveTest()).toBeUndefined()
    }
    engine.endFile()
    expect(engine.client.inTransaction).toBe(false)
    expect(names(engine)).toEqual([])
  })

  test('a seed runs once per file; tests return to it by savepoint', async () => {
    const engine = await open()
    let runs = 0
    const seed = { key: {}, run: () => { runs++; engine.client.exec("INSERT INTO users (name) VALUES ('seed')") } }
    for (const name of ['a', 'b', 'c']) {
      await engine.enterTest(ref(name), seed)
      expect(names(engine)).toEqual(['seed'])
      engine.client.exec(`INSERT INTO users (name) VALUES ('${name}')`)
      expect(await engine.leaveTest()).toBeUndefined()
    }
    expect(runs).toBe(1)
    // Another file: the seed runs again in a new transaction.
    await engine.enterTest(ref('d', { file: {} }), seed)
    expect(runs).toBe(2)
    await engine.leaveTest()
    engine.endFile()
    expect(names(engine)).toEqual([])
  })
})

describe('misuse fails loudly and the engine recovers', () => {
  test.each([
    ['COMMIT', /no transaction was active at its end/],
    ['ROLLBACK', /no transaction was active at its end/],
    ['COMMIT; BEGIN', /savepoint was gone at its end.*began a new one/],
  ])('a test that runs %s', async (sql, reason) => {
    const engine = await open({ setup: ({ client }) => { client.exec(DDL); client.exec("INSERT INTO users (name) VALUES ('baseline')") } })
    const seed = { key: {}, run: () => { engine.client.exec("INSERT INTO users (name) VALUES ('seed')") } }
    await engine.enterTest(ref('commits'), seed)
    engine.client.exec("INSERT INTO users (name) VALUES ('leaked')")
    engine.client.exec(sql)
    const error = await engine.leaveTest()
    expect(error).toBeInstanceOf(DbFixtureError)
    expect(error!.message).toMatch(/^vitest-memory\/db: test "commits" broke the test isolation/)
    expect(error!.message).toMatch(reason)
    expect(error!.message).toMatch(/database was rebuilt/)
    expect(error!.message).toMatch(/db\.transaction\(\.\.\.\)/)
    // The next test sees the baseline plus the seed, nothing the broken test wrote.
    await engine.enterTest(ref('next'), seed)
    expect(names(engine)).toEqual(['baseline', 'seed'])
    expect(engine.client.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'users'").pluck().get()).toBe(2)
    expect(await engine.leaveTest()).toBeUndefined()
  })

  test('a rebuild re-runs drizzle migrations from scratch', async () => {
    const engine = await open({
      setup: undefined,
      migrations: { migrationsFolder: new URL('./drizzle', import.meta.url).pathname },
    })
    await engine.enterTest(ref('commits'), undefined)
    engine.client.exec("INSERT INTO users (name) VALUES ('leaked'); COMMIT; CREATE TABLE extra (x)")
    expect((await engine.leaveTest())?.message).toMatch(/broke the test isolation/)
    const tables = engine.client.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all()
    expect(tables).toEqual(['__drizzle_migrations', 'posts', 'sqlite_sequence', 'users'])
    expect(engine.client.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get()).toBe(1)
    expect(names(engine)).toEqual([])
  })

  test('a concurrent test is refused with the reason and the fix', async () => {
    const engine = await open()
    await expect(engine.enterTest(ref('parallel', { concurrent: true }), undefined)).rejects.toThrow(
      /test "parallel" runs concurrently .* share one connection .*remove \.concurrent/s,
    )
    // Nothing was taken: the next test enters normally.
    await engine.enterTest(ref('sequential'), undefined)
    expect(await engine.leaveTest()).toBeUndefined()
  })

  test('two tests holding the engine at once are refused', async () => {
    const engine = await open()
    await engine.enterTest(ref('first'), undefined)
    await expect(engine.enterTest(ref('second'), undefined)).rejects.toThrow(/test "second" needs the database while test "first" still holds it/)
    expect(await engine.leaveTest()).toBeUndefined()
  })

  test('an iterator left open is closed, reported, and the rollback works', async () => {
    const engine = await open()
    await engine.enterTest(ref('iterates'), undefined)
    engine.client.exec("INSERT INTO users (name) VALUES ('a'), ('b')")
    const it = engine.client.prepare('SELECT * FROM users').iterate()
    it.next()
    const error = await engine.leaveTest()
    expect(error?.message).toMatch(/1 statement iterator was still open .*busy executing a query.*was closed/s)
    expect(names(engine)).toEqual([])
    // Iterators that were exhausted or left with break are not reported.
    await engine.enterTest(ref('clean'), undefined)
    engine.client.exec("INSERT INTO users (name) VALUES ('a'), ('b')")
    for (const row of engine.client.prepare('SELECT * FROM users').iterate()) if (row) break
    expect([...engine.client.prepare('SELECT * FROM users').iterate()]).toHaveLength(2)
    expect(await engine.leaveTest()).toBeUndefined()
  })

  test('deferred foreign-key violations are reported with foreignKeyCheck', async () => {
    const engine = await open({ foreignKeyCheck: true })
    await engine.enterTest(ref('orphan'), undefined)
    engine.client.exec("INSERT INTO posts (user_id, title) VALUES (42, 'orphan')")
    const error = await engine.leaveTest()
    expect(error?.message).toMatch(/PRAGMA foreign_key_check found 1 foreign-key violation .*posts rowid 1 -> users/)
    expect(error?.message).toMatch(/DEFERRABLE INITIALLY DEFERRED/)
    const relaxed = await open()
    await relaxed.enterTest(ref('orphan'), undefined)
    relaxed.client.exec("INSERT INTO posts (user_id, title) VALUES (42, 'orphan')")
    expect(await relaxed.leaveTest()).toBeUndefined()
  })

  test('writes that land between tests are rolled back and reported on the next test', async () => {
    const engine = await open()
    await engine.enterTest(ref('fires and forgets'), undefined)
    await engine.leaveTest()
    engine.client.exec("INSERT INTO users (name) VALUES ('late')")
    await engine.enterTest(ref('innocent'), undefined)
    expect(names(engine)).toEqual([])
    expect((await engine.leaveTest())?.message).toMatch(/1 row change reached the database between tests, after test "fires and forgets" ended.*did not await/s)
  })

  test('writes committed after a file ended are caught when the next file begins', async () => {
    const engine = await open()
    await engine.enterTest(ref('last of its file'), undefined)
    await engine.leaveTest()
    engine.endFile()
    engine.client.exec("INSERT INTO users (name) VALUES ('late')")
    await engine.enterTest(ref('first of the next file', { file: {} }), undefined)
    expect(names(engine)).toEqual([])
    expect((await engine.leaveTest())?.message).toMatch(/modified outside any test \(after test "last of its file" and its file ended\).*rebuilt/s)
  })

  test('a test that closes the connection is told, and so is every later test of the worker', async () => {
    const engine = await open()
    await engine.enterTest(ref('closes'), undefined)
    engine.client.close()
    expect((await engine.leaveTest())?.message).toMatch(/test "closes" closed the fixtures' connection .*do not close it/s)
    await expect(engine.enterTest(ref('later'), undefined)).rejects.toThrow(/test "later" cannot use the database: test "closes" closed the fixtures' connection/)
    engine.close()
  })

  test('a failing seed fails the test with its error and leaves no transaction behind', async () => {
    const engine = await open()
    const seed = { key: {}, run: () => { throw new Error('bad seed') } }
    await expect(engine.enterTest(ref('a'), seed)).rejects.toThrow("vitest-memory/db: the file's seed failed: bad seed")
    expect(engine.client.inTransaction).toBe(false)
    await engine.enterTest(ref('b'), undefined)
    expect(await engine.leaveTest()).toBeUndefined()
  })

  test('setup errors name the step', async () => {
    await expect(open({ setup: ({ client }) => { client.exec('CREATE TABLE broken (') } })).rejects.toThrow(/the `setup` callback failed: incomplete input/)
    await expect(open({ setup: ({ client }) => { client.exec('BEGIN') } })).rejects.toThrow(/left a transaction open/)
    await expect(open({ pragmas: [['journal_mode', 'NONSENSE; DROP']] })).rejects.toThrow(/a pragma failed/)
  })
})

describe('engines per worker', () => {
  test('the same configuration shares one engine; the last release closes it', async () => {
    const c = config()
    const [a, b] = await Promise.all([acquireEngine(c, peers), acquireEngine(c, peers)])
    expect(a).toBe(b)
    releaseEngine(a)
    expect(a.isClosed).toBe(false)
    releaseEngine(b)
    expect(a.isClosed).toBe(true)
    const c2 = await acquireEngine(c, peers)
    expect(c2).not.toBe(a)
    releaseEngine(c2)
  })

  test('file: a temp file per engine, removed on close; files of dead workers are swept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitest-memory-db-test-'))
    try {
      const stale = join(dir, 'vitest-memory-db-999999999-0-deadbeef.sqlite')
      writeFileSync(stale, '')
      writeFileSync(`${stale}-wal`, '')
      const a = await open({ file: dir })
      const b = await open({ file: dir })
      expect(a.path).not.toBe(b.path)
      expect(a.path.startsWith(join(dir, `vitest-memory-db-${process.pid}-`))).toBe(true)
      expect(existsSync(a.path)).toBe(true)
      expect(existsSync(stale)).toBe(false)
      expect(existsSync(`${stale}-wal`)).toBe(false)
      a.close()
      b.close()
      expect(readdirSync(dir)).toEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('engines a test opens and leaves open are counted for the memory report; the fixtures\' are not', async () => {
    const counter = resourceCounters().get(ENGINE_RESOURCE)
    expect(counter).toBeTypeOf('function')
    const engine = await open()
    const before = counter!()
    const stats = engineStats()
    const leaked = new peers.Database(':memory:')
    // Counted from its creation (the addon's constructor is wrapped), not from its first use.
    expect(counter!()).toBe(before + 1)
    leaked.exec('CREATE TABLE t (x)')
    expect(counter!()).toBe(before + 1)
    expect(countLeftOpen()).toBe(before + 1)
    leaked.close()
    expect(counter!()).toBe(before)
    engine.close()
    expect(engineStats().closed).toBe(stats.closed + 1)
  })
})
