#!/usr/bin/env node
// The HTML report at scale: file size and load-to-interactive time of a 10,000-test report in
// headless Chromium driven by playwright-core (CHROMIUM_PATH or --chromium, else the binary in
// the devDependency @sparticuz/chromium: test/helpers/chromium.mjs).
//
//   node bench/html.mjs [--tests 10000] [--runs 7] [--chromium PATH] [--no-write]
//
// "Interactive" is the moment the page has parsed its data, drawn the chart and the first rows
// of the tables and attached every handler: the client marks it with
// performance.mark('vitest-memory:interactive'), read as ms since navigation start. Each run uses a
// fresh browser context (no cache). Also timed: a sort (click a column header) and a filter (type
// into the filter box), each until the table shows the result. Writes bench/results/html.json.
// Needs a built dist/ (npm run build).
import { mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'
import { chromiumArgs, chromiumEnv, chromiumPath } from '../test/helpers/chromium.mjs'
import { syntheticReport } from '../test/html/synthetic-report.mjs'

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)))
const { values: args } = parseArgs({
  options: {
    tests: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '7' },
    chromium: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
})
const TESTS = Number(args.tests)
const RUNS = Number(args.runs)
const { renderHtml } = await import(pathToFileURL(join(ROOT, 'dist/reporters/html.js')).href)

const dir = mkdtempSync(join(os.tmpdir(), 'vitest-memory-html-bench-'))
const file = join(dir, 'report.html')
const report = syntheticReport({ tests: TESTS })
const renderStart = performance.now()
const html = renderHtml(report)
const renderMs = performance.now() - renderStart
writeFileSync(file, html)
const size = statSync(file).size
const jsonSize = Buffer.byteLength(JSON.stringify(report))

const browser = await chromium.launch({
  executablePath: args.chromium ?? (await chromiumPath()),
  // playwright gives every launch a fresh temporary profile (its own --user-data-dir).
  args: chromiumArgs,
  env: chromiumEnv(),
})
const version = browser.version()
const loads = []
const sorts = []
const filters = []
for (let i = 0; i < RUNS; i++) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } })
  const page = await context.newPage()
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))
  const wall = performance.now()
  await page.goto(pathToFileURL(file).href)
  await page.waitForSelector('html[data-ready="true"]', { timeout: 30_000 })
  const wallMs = performance.now() - wall
  const interactive = await page.evaluate(() => performance.getEntriesByName('vitest-memory:interactive')[0]?.startTime)
  if (errors.length) throw new Error(`page errors: ${errors.join('\n')}`)
  loads.push({ interactiveMs: Math.round(interactive), wallMs: Math.round(wallMs) })
  // Sort by name (a string sort over every row), then back to retained.
  sorts.push(await page.evaluate(async () => {
    const t = performance.now()
    document.querySelector('[data-table="tests"] [data-key="name"] button').click()
    await new Promise((r) => requestAnimationFrame(() => r()))
    return performance.now() - t
  }))
  filters.push(await page.evaluate(async () => {
    const input = document.getElementById('filter')
    const t = performance.now()
    input.value = 'feature 42'
    input.dispatchEvent(new Event('input'))
    // The filter is debounced (120 ms on large reports): wait until the count changes.
    await new Promise((resolve) => {
      const check = () => (document.getElementById('count').textContent.includes(' of ') ? resolve() : setTimeout(check, 5))
      check()
    })
    return performance.now() - t
  }))
  await context.close()
}
await browser.close()
rmSync(dir, { recursive: true, force: true })

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const result = {
  tests: report.tests.length,
  files: report.files.length,
  workers: report.workers.length,
  htmlBytes: size,
  jsonBytes: jsonSize,
  renderMs: Math.round(renderMs),
  interactiveMs: { median: median(loads.map((l) => l.interactiveMs)), min: Math.min(...loads.map((l) => l.interactiveMs)), max: Math.max(...loads.map((l) => l.interactiveMs)) },
  wallMs: { median: median(loads.map((l) => l.wallMs)), max: Math.max(...loads.map((l) => l.wallMs)) },
  sortMs: { median: Math.round(median(sorts)), max: Math.round(Math.max(...sorts)) },
  filterMs: { median: Math.round(median(filters)), max: Math.round(Math.max(...filters)), note: 'includes the 120 ms input debounce' },
  target: 'interactive < 2000 ms',
  runs: RUNS,
  chromium: version,
  node: process.version,
  cpus: os.cpus().length,
  load: os.loadavg().map((x) => Math.round(x * 100) / 100),
  commit: (() => { try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim() } catch { return undefined } })(),
  date: new Date().toISOString(),
}
console.log(JSON.stringify(result, null, 2))
if (!args['no-write']) {
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true })
  writeFileSync(join(ROOT, 'bench/results/html.json'), `${JSON.stringify(result, null, 2)}\n`)
}
if (result.interactiveMs.median >= 2000) {
  console.error(`over target: median ${result.interactiveMs.median} ms to interactive (target < 2000 ms)`)
  process.exitCode = 1
}
