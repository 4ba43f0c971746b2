import { expect, test } from 'vitest'
import { globProblem, namedGlobs, suggest, unmatchedGlobWarnings } from '../../src/node/globs.ts'

const files = ['test/db/users.test.js', 'test/db/orders.test.js', 'test/math.test.js', 'src/util.spec.ts']

test('globs picomatch cannot read are problems; valid ones are not', () => {
  expect(globProblem('[')).toMatch(/Missing closing: "\]"/)
  expect(globProblem('test/**/*.{ts,js')).toMatch(/Missing closing: "\}"/)
  expect(globProblem('test/**/*.{ts,js}')).toBeUndefined()
  expect(globProblem('test/\\[id\\].test.ts')).toBeUndefined()
  expect(globProblem('test/[ab].test.ts')).toBeUndefined()
})

test('suggestions: the relative form of an absolute path', () => {
  expect(suggest('/repo/test/math.test.js', '/repo', files)).toEqual({ candidates: ['test/math.test.js'], absolute: true })
})

test('suggestions: the same glob with the extension the files have', () => {
  expect(suggest('test/db/**/*.test.ts', '/repo', files).candidates).toEqual(['test/db/**/*.test.js'])
  expect(suggest('test/math.test.ts', '/repo', files).candidates).toEqual(['test/math.test.js'])
})

test('suggestions: a bare file name under **/', () => {
  expect(suggest('users.test.js', '/repo', files).candidates).toEqual(['**/users.test.js'])
})

test('suggestions: files of the same name, then the nearest paths', () => {
  expect(suggest('test/db/users.spec.js', '/repo', files).candidates).toEqual(['test/db/users.test.js'])
  expect(suggest('tests/mat.test.js', '/repo', files).candidates).toEqual(['test/math.test.js'])
  expect(suggest('e2e/**', '/repo', files).candidates).toEqual([])
})

test('a glob matched by a file of any of its projects does not warn; one that matches none warns once', () => {
  const globs = namedGlobs([{ files: ['b/**', 'c/**'] }], [])
  const warnings = unmatchedGlobWarnings([
    { globs, project: { root: '/repo', files: ['/repo/a/one.test.ts'] } },
    { globs, project: { root: '/repo', files: ['/repo/b/two.test.ts'] } },
  ])
  expect(warnings).toEqual([
    "vitest-memory: overrides[0].files 'c/**' matches no test file, so what it sets never applies. Globs are matched against paths relative to the project root (/repo), such as 'a/one.test.ts'.",
  ])
})
