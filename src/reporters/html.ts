// The HTML report: one self-contained file (uPlot, styles, the client and the data inlined) that
// opens from disk with no server and no network. The report JSON is embedded as data in a
// `<script type="application/json">` block and rendered by html-template/report.js with DOM
// APIs only, so test names and paths can never become markup.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { MemoryReport } from './json.ts'

const require = createRequire(import.meta.url)

interface Assets {
  uplotJs: string
  uplotCss: string
  appJs: string
  appCss: string
}

let assets: Assets | undefined

function loadAssets(): Assets {
  if (assets) return assets
  const template = (name: string) => readFileSync(new URL(`./html-template/${name}`, import.meta.url), 'utf8')
  assets = {
    uplotJs: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    uplotCss: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    appJs: template('report.js'),
    appCss: template('report.css'),
  }
  return assets
}

/**
 * JSON that is safe inside a `<script>` element: `<`, `>` and `&` become `\u003c`, `\u003e`,
 * `\u0026` (so no `</script>` or `<!--` can appear), and U+2028/U+2029 are escaped too.
 * `JSON.parse` reads it back unchanged.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

/** Rows as arrays under one list of keys; `null` for a missing field. */
export interface PackedRows {
  keys: string[]
  /** Strings that repeat from row to row (file paths, project names, worker ids), by index. */
  strings: string[]
  /** Keys whose values are indexes into `strings`. */
  indexed: string[]
  rows: unknown[][]
}

const INDEXED = new Set(['file', 'project', 'worker'])

/**
 * Tests and files as rows of values: a 10,000-test report shrinks to about half, and the page
 * parses it in half the time (most of the load time is the browser reading the embedded JSON).
 * A row's `worker` object becomes its id; the page finds the worker in `workers`.
 */
export function packRows(items: ReadonlyArray<object>): PackedRows {
  const keys: string[] = []
  const seen = new Set<string>()
  for (const item of items) {
    for (const k of Object.keys(item)) {
      if (seen.has(k)) continue
      seen.add(k)
      keys.push(k)
    }
  }
  const strings: string[] = []
  const index = new Map<string, number>()
  const intern = (s: string) => {
    let i = index.get(s)
    if (i === undefined) index.set(s, (i = strings.push(s) - 1))
    return i
  }
  const rows = items.map((item) => keys.map((k) => {
    let v = (item as Record<string, unknown>)[k]
    if (v === undefined) return null
    if (k === 'worker' && typeof v === 'object' && v !== null) v = (v as { id: string }).id
    return INDEXED.has(k) && typeof v === 'string' ? intern(v) : v
  }))
  return { keys, strings, indexed: keys.filter((k) => INDEXED.has(k)), rows }
}

/** The report as the page embeds it: `tests` and `files` packed (see `packRows`). */
export function packReport(report: MemoryReport): Omit<MemoryReport, 'tests' | 'files'> & { tests: PackedRows; files: PackedRows } {
  return { ...report, tests: packRows(report.tests), files: packRows(report.files) }
}

/**
 * Runs first, in uPlot's script. Chromium turns LANG=C (or no LANG, as in many containers) into the locale
 * `en-US@posix`, a tag that Intl rejects with a RangeError, and uPlot builds its number format from
 * `navigator.language` as it loads: the page would stop there. English instead, only then.
 */
const LOCALE_FALLBACK = "try{new Intl.NumberFormat(navigator.language)}catch(e){Object.defineProperty(navigator,'language',{value:'en-US'})}"

/** Inline code must not close its own `<script>`/`<style>` element. */
function inline(code: string, tag: 'script' | 'style'): string {
  return code.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1')
}

/**
 * The page's policy (docs/html.md): nothing loads from anywhere (`default-src 'none'`), and only the
 * page's own inline scripts run, each allowed by its SHA-256 (another inline script, injected or
 * not, is refused). Styles stay `'unsafe-inline'`: the client sets `style` attributes (table
 * columns, row heights), which a hash cannot allow. The JSON data block is not a script to run.
 */
export function contentSecurityPolicy(scripts: readonly string[]): string {
  const hashes = scripts.map((code) => `'sha256-${createHash('sha256').update(code).digest('base64')}'`)
  return `default-src 'none'; script-src ${hashes.join(' ')}; style-src 'unsafe-inline'`
}

/**
 * The report as one HTML document: ~1 kB of markup, ~90 kB of scripts and styles, plus the
 * report's data (about 0.4 kB per test).
 */
export function renderHtml(report: MemoryReport): string {
  const a = loadAssets()
  const scripts = [`${LOCALE_FALLBACK}\n${inline(a.uplotJs, 'script')}`, inline(a.appJs, 'script')]
  const csp = contentSecurityPolicy(scripts)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="generator" content="vitest-memory">
<title>vitest-memory report</title>
<style>${inline(a.uplotCss, 'style')}</style>
<style>${inline(a.appCss, 'style')}</style>
</head>
<body>
<main id="app" aria-busy="true"><noscript>This report is drawn by JavaScript, which is turned off. The same data is in the JSON report next to this file.</noscript></main>
<script type="application/json" id="report-data">${scriptSafeJson(packReport(report))}</script>
${scripts.map((code) => `<script>${code}</script>`).join('\n')}
</body>
</html>
`
}
