// The HTML report in a real browser: Debian's chromium driven by playwright-core (.ci/run installs
// it; CHROMIUM_PATH points elsewhere). Screenshots are kept in test-results/html/ as artifacts.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { MemoryReport } from 'vitest-memory'
import { renderHtml } from '../../src/reporters/html.ts'
import { copyFixture, repoDir, runVitest } from '../helpers/run-vitest.ts'
import { syntheticReport } from './synthetic-report.mjs'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARTIFACTS = join(repoDir, 'test-results', 'html')
const work = mkdtempSync(join(tmpdir(), 'vitest-memory-html-'))
let browser: Browser

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no chromium at ${CHROMIUM}: install it (apt-get install -y chromium, as .ci/run does) or set CHROMIUM_PATH to a Chromium binary`)
  }
  mkdirSync(ARTIFACTS, { recursive: true })
  // playwright gives each launch a fresh temporary profile (--user-data-dir).
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
})
afterAll(async () => {
  await browser?.close()
  rmSync(work, { recursive: true, force: true })
})

interface Opened {
  page: Page
  errors: string[]
  requests: string[]
  interactiveMs: number
  close: () => Promise<void>
}

async function open(file: string): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } })
  const page = await context.newPage()
  const errors: string[] = []
  const requests: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()) })
  page.on('request', (r) => requests.push(r.url()))
  await page.goto(pathToFileURL(file).href)
  await page.waitForSelector('html[data-ready="true"]', { timeout: 30_000 })
  const interactiveMs = await page.evaluate(() => performance.getEntriesByName('vitest-memory:interactive')[0]!.startTime)
  return { page, errors, requests, interactiveMs, close: () => context.close() }
}

function write(name: string, report: MemoryReport): string {
  const file = join(work, name)
  writeFileSync(file, renderHtml(report))
  return file
}

/** `data-index` of the rows the tests table shows, top to bottom (the rows in view). */
const shownRows = (page: Page) => page.$$eval('[data-table="tests"] .vt-row', (rows) => rows.map((r) => Number(r.getAttribute('data-index'))))

describe('a real run', () => {
  let dir: string
  let file: string
  let report: MemoryReport
  beforeAll(async () => {
    dir = copyFixture('html-basic')
    const r = await runVitest(dir, ['run'], { env: { GITHUB_ACTIONS: '' } })
    expect(r.code, r.output).toBe(0)
    report = r.report!
    // The page the run wrote, beside its JSON report; the fixture turned the Markdown summary off.
    file = join(dir, '.vitest-memory', 'report.html')
    expect(existsSync(file)).toBe(true)
    expect(existsSync(join(dir, '.vitest-memory', 'summary.md'))).toBe(false)
  }, 120_000)
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  test('renders the summary, the chart and every test, with no errors and no network', async () => {
    const { page, errors, requests, close } = await open(file)
    try {
      expect(errors).toEqual([])
      expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([])
      expect(await page.textContent('[data-card="Tests"] b')).toBe(String(report.tests.length))
      expect(await page.textContent('[data-card="Warnings"] b')).toBe('1')
      expect(await page.$$('#chart canvas')).not.toHaveLength(0)
      expect(await shownRows(page)).toHaveLength(report.tests.length)
      // The test over its budget is highlighted.
      const flagged = await page.$$eval('[data-table="tests"] .vt-row[data-flag]', (rows) => rows.map((r) => [r.getAttribute('data-flag'), r.querySelector('[data-key="name"]')!.textContent]))
      expect(flagged).toEqual([['warn', 'retains about 2 MB']])
      await page.screenshot({ path: join(ARTIFACTS, 'real-run.png'), fullPage: true })
    } finally {
      await close()
    }
  })

  test('markup in test names stays text', async () => {
    const { page, close } = await open(file)
    try {
      const names = await page.$$eval('[data-table="tests"] [data-key="name"].vt-cell', (cells) => cells.map((c) => c.textContent))
      expect(names).toEqual(expect.arrayContaining([
        'names are data > <img src=x onerror="window.pwned = 1">',
        'names are data > </script><script>window.pwned = 2</script>',
        'names are data > ends with a comment <!-- and & ampersands',
      ]))
      expect(await page.evaluate(() => (globalThis as { pwned?: unknown }).pwned)).toBeUndefined()
      expect(await page.$$('#app img')).toHaveLength(0)
      expect(await page.$$eval('script', (s) => s.length)).toBe(3)
      // Open the details of one: still text.
      await page.click('[data-table="tests"] .vt-row:has-text("onerror")')
      expect(await page.textContent('#details h3')).toBe('names.test.ts > names are data > <img src=x onerror="window.pwned = 1">')
    } finally {
      await close()
    }
  })
})

describe('interaction', () => {
  const report = syntheticReport({ tests: 200, files: 10 })
  let file: string
  beforeAll(() => {
    file = write('interaction.html', report)
  })

  test('sorting: by retained (largest first, then smallest), and by name', async () => {
    const { page, errors, close } = await open(file)
    try {
      const order = (cmp: (a: number, b: number) => number) => report.tests.map((_, i) => i).sort((a, b) => cmp(a, b) || a - b)
      const byRetained = order((a, b) => report.tests[b]!.retained - report.tests[a]!.retained)
      expect(await page.getAttribute('[data-table="tests"] [data-key="retained"][role="columnheader"]', 'aria-sort')).toBe('descending')
      const shown = await shownRows(page)
      expect(shown.length).toBeGreaterThan(10)
      expect(shown).toEqual(byRetained.slice(0, shown.length))

      await page.click('[data-table="tests"] [data-key="retained"] button')
      expect(await page.getAttribute('[data-table="tests"] [data-key="retained"][role="columnheader"]', 'aria-sort')).toBe('ascending')
      expect(await shownRows(page)).toEqual(order((a, b) => report.tests[a]!.retained - report.tests[b]!.retained).slice(0, shown.length))

      await page.click('[data-table="tests"] [data-key="name"] button')
      const byName = order((a, b) => report.tests[a]!.name.localeCompare(report.tests[b]!.name))
      expect(await shownRows(page)).toEqual(byName.slice(0, shown.length))
      expect(errors).toEqual([])
      await page.screenshot({ path: join(ARTIFACTS, 'sorted-by-name.png') })
    } finally {
      await close()
    }
  })

  test('filtering: by text, by verdict, by baseline status', async () => {
    const { page, close } = await open(file)
    try {
      await page.fill('#filter', 'FEATURE 3 ')
      const expected = report.tests.filter((t) => `${t.file} > ${t.name}`.toLowerCase().includes('feature 3 '))
      expect(expected.length).toBeGreaterThan(0)
      await page.waitForFunction(`document.getElementById('count').textContent === '${expected.length} of 200 tests'`)
      const shown = await shownRows(page)
      expect(shown.every((i) => report.tests[i]!.name.toLowerCase().includes('feature 3 '))).toBe(true)

      await page.fill('#filter', '')
      await page.selectOption('#verdict-filter', 'flagged')
      const flagged = report.tests.filter((t) => t.verdict === 'fail' || t.verdict === 'warn' || t.baseline?.status === 'regressed')
      await page.waitForFunction(`document.getElementById('count').textContent === '${flagged.length} of 200 tests'`)
      expect(await page.$$eval('[data-table="tests"] .vt-row', (rows) => rows.every((r) => r.hasAttribute('data-flag')))).toBe(true)

      await page.selectOption('#verdict-filter', 'new')
      const fresh = report.tests.filter((t) => t.baseline?.status === 'new').length
      await page.waitForFunction(`document.getElementById('count').textContent === '${fresh} of 200 tests'`)
      await page.fill('#filter', 'no test is called this')
      await page.waitForSelector('[data-table="tests"] .vt-empty:not([hidden])')
    } finally {
      await close()
    }
  })

  test('per-file drill-down: pick a file, see its tests and its readings; clear it', async () => {
    const { page, close } = await open(file)
    try {
      const firstFile = await page.$eval('[data-table="files"] .vt-row', (r) => Number(r.getAttribute('data-index')))
      const picked = report.files[firstFile]!
      await page.click('[data-table="files"] .vt-row >> nth=0')
      await page.waitForSelector('#file-chip:not([hidden])')
      expect(await page.textContent('#file-chip')).toContain(picked.file)
      expect(await page.getAttribute('#details', 'data-kind')).toBe('file')
      expect(await page.textContent('#details h3')).toBe(`${picked.file} (whole file)`)
      const shown = await shownRows(page)
      expect(shown.length).toBe(picked.tests)
      expect(shown.every((i) => report.tests[i]!.file === picked.file)).toBe(true)

      await page.click('[data-table="tests"] .vt-row >> nth=0')
      expect(await page.getAttribute('#details', 'data-kind')).toBe('test')
      expect(await page.textContent('#details')).toContain('What grew')

      await page.click('#file-chip button')
      await page.waitForFunction(`document.getElementById('count').textContent === '200 tests'`)
    } finally {
      await close()
    }
  })

  test('markup in names, paths and messages is inert in every view', async () => {
    const evil = syntheticReport({ tests: 20, files: 2, names: (i) => (i % 2 ? `<img src=x onerror="window.pwned=${i}">` : `</script><script>window.pwned=${i}</script><!--`) })
    const renamed = evil.files[0]!.file
    for (const x of [...evil.tests, ...evil.files]) if (x.file === renamed) x.file = '<b>bold</b>/x.test.ts'
    evil.tests[0]!.violations = [{ metric: 'retained', limit: 1, actual: 2, message: '<iframe src="javascript:window.pwned=99">' }]
    evil.tests[0]!.verdict = 'fail'
    evil.notes.push('<script>window.pwned = "note"</script>')
    const { page, errors, close } = await open(write('evil.html', evil))
    try {
      expect(errors).toEqual([])
      await page.selectOption('#verdict-filter', 'fail')
      await page.click('[data-table="tests"] .vt-row >> nth=0')
      await page.click('[data-table="files"] .vt-row:has-text("<b>bold</b>/x.test.ts")')
      await page.selectOption('#verdict-filter', '')
      for (let i = 0; i < 3; i++) await page.click('[data-table="tests"] .vt-row >> nth=' + i)
      expect(await page.evaluate(() => (globalThis as { pwned?: unknown }).pwned)).toBeUndefined()
      // The page's own markup has <b> in its cards and banners; data-made elements would be in these places.
      expect(await page.$$('#app img, #app iframe, #app script, .vt b, #details b, .notes b')).toHaveLength(0)
      expect(await page.textContent('#file-chip')).toContain('<b>bold</b>/x.test.ts')
      expect(await page.textContent('.notes')).toContain('<script>window.pwned = "note"</script>')
    } finally {
      await close()
    }
  })
})

test('a 10,000-test report loads to interactive (the number is recorded by bench/html.mjs)', async () => {
  const report = syntheticReport({ tests: 10_000 })
  const file = write('10k.html', report)
  const { page, errors, interactiveMs, close } = await open(file)
  try {
    expect(errors).toEqual([])
    expect(await page.textContent('#count')).toBe('10000 tests')
    // A ceiling for a shared, noisy machine; the target (< 2 s) is measured by bench/html.mjs.
    expect(interactiveMs).toBeLessThan(10_000)
    // The table is virtual: only the rows in view exist.
    expect((await shownRows(page)).length).toBeLessThan(100)
    await page.screenshot({ path: join(ARTIFACTS, '10k.png') })
    writeFileSync(join(ARTIFACTS, '10k-load.json'), `${JSON.stringify({ tests: 10_000, bytes: readFileSync(file).length, interactiveMs: Math.round(interactiveMs) })}\n`)
  } finally {
    await close()
  }
})
