// The DB fixtures used the way users use them, in this suite's own worker: isolation between
// tests, nested transactions, seeds, hooks. Misuse that fails a test is covered end to end in
// db-e2e.test.ts and on the engine directly in engine.test.ts.
import { count, eq } from 'drizzle-orm'
import { describe, expect } from 'vitest'
import { createDbTest, DbFixtureError, engineStats } from '../../src/db.ts'
import { posts, users } from './schema.ts'

const schema = { users, posts }
const test = createDbTest({ schema, migrationsFolder: new URL('./drizzle', import.meta.url) })

describe('isolation between tests', () => {
  test('writes are visible inside the test', ({ db }) => {
    const [ada] = db.insert(users).values({ name: 'Ada' }).returning().all()
    expect(ada).toEqual({ id: 1, name: 'Ada' })
    db.insert(posts).values({ userId: ada!.id, title: 'Notes' }).run()
    expect(db.select({ n: count() }).from(posts).get()).toEqual({ n: 1 })
  })

  test('the next test starts empty, with autoincrement counters back at the start', ({ db }) => {
    expect(db.select().from(users).all()).toEqual([])
    expect(db.insert(users).values({ name: 'Ada' }).returning({ id: users.id }).get()).toEqual({ id: 1 })
  })

  test('async tests keep their transaction across awaits', async ({ db }) => {
    db.insert(users).values({ name: 'Grace' }).run()
    await new Promise((resolve) => setTimeout(resolve, 5))
    await db.insert(users).values({ name: 'Linus' })
    expect(await db.select().from(users)).toHaveLength(2)
  })

  test('relational queries use the schema', ({ db }) => {
    db.insert(users).values({ name: 'Ada' }).run()
    expect(db.query.users.findFirst({ where: eq(users.name, 'Ada') }).sync()).toEqual({ id: 1, name: 'Ada' })
  })

  test('client is the connection behind db, in the same transaction', ({ db, client }) => {
    expect(client).toBe(db.$client)
    expect(client.inTransaction).toBe(true)
    client.prepare('INSERT INTO users (name) VALUES (?)').run('Raw')
    expect(db.select().from(users).all()).toEqual([{ id: 1, name: 'Raw' }])
  })
})

describe('transactions in code under test nest as savepoints', () => {
  test('a committed db.transaction stays visible to the test, then is rolled back with it', ({ db }) => {
    db.transaction((tx) => {
      tx.insert(users).values({ name: 'Ada' }).run()
    })
    expect(db.select().from(users).all()).toHaveLength(1)
  })

  test('tx.rollback() undoes only its own transaction', ({ db }) => {
    db.insert(users).values({ name: 'Outer' }).run()
    expect(() =>
      db.transaction((tx) => {
        tx.insert(users).values({ name: 'Inner' }).run()
        tx.rollback()
      }),
    ).toThrow(/rollback/i)
    expect(db.select({ name: users.name }).from(users).all()).toEqual([{ name: 'Outer' }])
  })

  test('a throw inside a nested transaction undoes that level only', ({ db }) => {
    db.transaction((tx) => {
      tx.insert(users).values({ name: 'Level 1' }).run()
      expect(() =>
        tx.transaction((tx2) => {
          tx2.insert(users).values({ name: 'Level 2' }).run()
          throw new Error('nope')
        }),
      ).toThrow('nope')
      tx.transaction((tx2) => {
        tx2.insert(users).values({ name: 'Level 2 again' }).run()
      })
    })
    expect(db.select({ name: users.name }).from(users).all().map((u) => u.name)).toEqual(['Level 1', 'Level 2 again'])
  })

  test('a constraint error inside a transaction rolls back its savepoint, not the test', ({ db }) => {
    db.insert(users).values({ name: 'Ada' }).run()
    expect(() => db.transaction((tx) => {
      tx.insert(users).values({ name: 'Bob' }).run()
      tx.insert(users).values({ name: 'Ada' }).run()
    })).toThrow(/UNIQUE/)
    expect(db.select({ name: users.name }).from(users).all()).toEqual([{ name: 'Ada' }])
    expect(() => db.insert(posts).values({ userId: 999, title: 'orphan' }).run()).toThrow(/FOREIGN KEY/)
  })

  test('an async transaction callback gets an explanation, and nothing it wrote survives', ({ db, client }) => {
    const attempt = () => db.transaction(async (tx) => {
      tx.insert(users).values({ name: 'Async' }).run()
    })
    expect(attempt).toThrow(DbFixtureError)
    expect(attempt).toThrow(/transaction callback is async.*call \.run\(\), \.all\(\), \.get\(\) or \.values\(\)/s)
    // Nested drizzle transactions run their own SAVEPOINT and never check; we do.
    expect(() => db.transaction((tx) => tx.transaction(async () => {}))).toThrow(/transaction callback is async/)
    // A plain function that returns a promise is caught when it returns.
    expect(() => client.transaction(() => Promise.resolve(1))()).toThrow(/returned a promise/)
    expect(db.select().from(users).all()).toEqual([])
    expect(client.inTransaction).toBe(true)
  })
})

describe('hooks', () => {
  test.beforeEach(({ db }) => {
    db.insert(users).values({ name: 'from beforeEach' }).run()
  })
  test.afterEach(({ db }) => {
    // afterEach runs before the rollback: the test's rows are still there.
    expect(db.select().from(users).all().length).toBeGreaterThan(0)
  })

  test('beforeEach writes inside the test transaction', ({ db }) => {
    expect(db.select({ name: users.name }).from(users).all()).toEqual([{ name: 'from beforeEach' }])
  })

  test('and is rolled back with it', ({ db }) => {
    expect(db.select({ n: count() }).from(users).get()).toEqual({ n: 1 })
  })
})

describe('seeds', () => {
  const seeded = test.withSeed(({ db }) => {
    db.insert(users).values([{ name: 'Seed 1' }, { name: 'Seed 2' }]).run()
  })

  seeded('tests see the seed rows and can change them', ({ db }) => {
    expect(db.select({ name: users.name }).from(users).all()).toEqual([{ name: 'Seed 1' }, { name: 'Seed 2' }])
    db.delete(users).where(eq(users.name, 'Seed 1')).run()
    db.insert(users).values({ name: 'Added' }).run()
  })

  seeded('each test starts from the seed again, counters included', ({ db }) => {
    expect(db.select().from(users).all()).toEqual([{ id: 1, name: 'Seed 1' }, { id: 2, name: 'Seed 2' }])
    expect(db.insert(users).values({ name: 'Next' }).returning({ id: users.id }).get()).toEqual({ id: 3 })
  })

  const asyncSeeded = seeded.withSeed(async ({ db }) => {
    await new Promise((resolve) => setTimeout(resolve, 1))
    await db.insert(users).values({ name: 'Async seed' })
  })

  asyncSeeded('a different seed in the same file replaces the first one', ({ db }) => {
    expect(db.select({ name: users.name }).from(users).all()).toEqual([{ name: 'Async seed' }])
  })

  test('tests without a seed in the same file see an empty database', ({ db }) => {
    expect(db.select().from(users).all()).toEqual([])
  })
})

test('one engine serves every test API of this file, and it is the fixtures\' own', ({ db }) => {
  expect(db.$client.open).toBe(true)
  const stats = engineStats()
  expect(stats.opened - stats.closed).toBe(1)
  expect(stats.leftOpen).toBe(0)
})
