// The report's other formats without a browser: the HTML document's construction (data embedded
// safely, nothing loaded from the network), the Markdown summary, GitHub workflow commands.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { annotationsFor, escapeData, escapeProperty, formatAnnotation, githubAnnotations } from '../../src/reporters/ci.ts'
import { packRows, renderHtml, scriptSafeJson } from '../../src/reporters/html.ts'
import { mdText, renderMarkdown } from '../../src/reporters/markdown.ts'
import { repoDir } from '../helpers/run-vitest.ts'
import { syntheticReport } from './synthetic-report.mjs'

describe('HTML', () => {
  test('embedded JSON cannot end its script element or open a comment, and parses back unchanged', () => {
    const value = { name: '</script><script>alert(1)</script>', c: '<!-- x -->', amp: 'a & b', ls: 'line\u2028separator\u2029' }
    const text = scriptSafeJson(value)
    expect(text).not.toMatch(/[<>&\u2028\u2029]/)
    expect(JSON.parse(text)).toEqual(value)
  })

  test('one self-contained document: three scripts, no external resources, a CSP that forbids the network', () => {
    const report = syntheticReport({ tests: 30, files: 3, names: (i) => (i === 0 ? '</script><img src=x>' : `t${i}`) })
    const html = renderHtml(report)
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html.match(/<script\b/g)).toHaveLength(3)
    expect(html.match(/<\/script>/g)).toHaveLength(3)
    expect(html).not.toMatch(/<(script|img|iframe)[^>]+\bsrc=/i)
    expect(html).not.toMatch(/<link\b/i)
    // The policy: nothing loads; the two inline scripts run by their hashes, no other script can.
    const csp = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/)![1]!
    expect(csp).toMatch(/^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]+=*' 'sha256-[A-Za-z0-9+/]+=*'; style-src 'unsafe-inline'$/)
    const scripts = [...html.matchAll(/<script>(.*?)<\/script>/gs)].map((m) => m[1]!)
    expect(scripts).toHaveLength(2)
    expect(csp.match(/'sha256-[^']+'/g)).toEqual(scripts.map((code) => `'sha256-${createHash('sha256').update(code).digest('base64')}'`))
    // uPlot is inlined.
    expect(html).toContain('https://github.com/leeoniya/uPlot (v1.6.')
    // The embedded data is the report.
    const data = JSON.parse(html.match(/<script type="application\/json" id="report-data">(.*?)<\/script>/s)![1]!)
    expect(data.summary).toEqual(report.summary)
    expect(data.tests.rows).toHaveLength(30)
  })

  // The docs are the repository's, not the package's: the Vitest 5 leg runs the suite beside the
  // installed tarball, without docs/, and this check runs in the Vitest 4 leg.
  test.skipIf(process.env.VITEST_MEMORY_LEG === 'v5')('docs/html.md states the policy the page carries, hashes elided', () => {
    const csp = renderHtml(syntheticReport({ tests: 3, files: 1 })).match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/)![1]!
    expect(readFileSync(join(repoDir, 'docs', 'html.md'), 'utf8')).toContain(`\`${csp.replace(/'sha256-[^']+'/g, "'sha256-…'")}\``)
  })

  test('packRows: rows of values under one key list, repeated strings by index, a worker by its id', () => {
    const report = syntheticReport({ tests: 4, files: 2 })
    const packed = packRows(report.tests)
    expect(packed.keys).toEqual(Object.keys(report.tests[0]!))
    expect(packed.indexed).toEqual(['file', 'project', 'worker'])
    const unpack = (row: unknown[]) => Object.fromEntries(packed.keys.map((k, i) => [k, packed.indexed.includes(k) ? packed.strings[row[i] as number] : row[i]]).filter(([, v]) => v !== null))
    report.tests.forEach((t, i) => {
      expect(unpack(packed.rows[i]!)).toEqual({ ...t, worker: t.worker.id })
    })
    expect(packed.strings.filter((s) => s.endsWith('.test.ts'))).toHaveLength(2)
  })
})

describe('Markdown', () => {
  test('mdText: on one line, HTML and inline Markdown escaped, no @mentions', () => {
    expect(mdText('a | b\n*c* `d` [e](f) <g> & @team _h_ ~i~ \\')).toBe('a \\| b \\*c\\* \\`d\\` \\[e\\](f) &lt;g&gt; &amp; &#64;team \\_h\\_ \\~i\\~ \\\\')
  })

  test('the summary: headline, over-budget table, regressions, new and gone, heaviest tests', () => {
    const report = syntheticReport({ tests: 3000, names: (i) => `test ${i} | <b>x</b>` })
    const md = renderMarkdown(report, { reportPath: '.vitest-memory/report.json', htmlPath: '.vitest-memory/report.html' })
    expect(md.split('\n')[0]).toBe(`## ❌ vitest-memory: ${report.summary.failed} over budget, ${report.summary.warned} warnings, ${report.baseline!.summary!.regressed} regressed`)
    expect(md).toContain('### Over budget')
    expect(md).toContain('| ❌ fail | src/module-00/feature-0.test.ts &gt; test 0 \\| &lt;b&gt;x&lt;/b&gt; | retained 3.00 MB after GC, budget 1 MB (+200%) |')
    expect(md).toContain('### Regressed against the baseline')
    expect(md).toMatch(/<details><summary>New to the baseline \(\d+\)<\/summary>/)
    expect(md).toContain('<details><summary>Gone from the suite (1)</summary>')
    expect(md).toContain('… ') // long lists are cut
    expect(md).toContain('### Heaviest tests')
    expect(md.trimEnd().split('\n').at(-1)).toBe('JSON report: `.vitest-memory/report.json` · HTML report: `.vitest-memory/report.html`')
    expect(md).not.toMatch(/<b>/)
    expect(Buffer.byteLength(md)).toBeLessThan(64_000)
  })

  test('marks estimates and bounds with a legend; counts the tests it did not judge', () => {
    const report = syntheticReport({ tests: 40, files: 2 })
    for (const t of report.tests) if (t.verdict === 'fail' || t.verdict === 'warn') Object.assign(t, { verdict: 'pass', violations: undefined })
    report.summary.failed = 0
    report.summary.warned = 0
    delete report.baseline
    const heaviest = [...report.tests].sort((a, b) => b.retained - a.retained)[0]!
    heaviest.precision = 'bounded'
    Object.assign(report.tests.find((t) => t !== heaviest)!, { precision: 'shared', concurrent: true, verdict: 'unchecked' })
    const md = renderMarkdown(report)
    expect(md.split('\n')[0]).toBe('## ✅ vitest-memory: 39 within budget, 1 not judged (concurrent: they share one heap)')
    expect(md).toMatch(/\| Most retained \| ≥[-+]/)
    expect(md).toContain('≥ a lower bound (full GC after the test only)')
    expect(md).toContain('no mark: exact (full GC before and after)')
  })

  test('all within budget', () => {
    const report = syntheticReport({ tests: 5, files: 1 })
    for (const t of report.tests) {
      t.verdict = 'pass'
      delete t.violations
      t.baseline = { status: 'same', retained: 0, peak: 0, retainedDelta: 0, peakDelta: 0 }
    }
    report.summary.failed = 0
    report.summary.warned = 0
    report.baseline!.summary!.regressed = 0
    report.baseline!.verdict = 'pass'
    expect(renderMarkdown(report).split('\n')[0]).toBe('## ✅ vitest-memory: all within budget')
  })
})

describe('GitHub Actions', () => {
  test('workflow command escaping', () => {
    expect(escapeData('50% of a\r\nb')).toBe('50%25 of a%0D%0Ab')
    expect(escapeProperty('a: b, c')).toBe('a%3A b%2C c')
    expect(formatAnnotation({ level: 'error', file: 'src/a,b.test.ts', line: 3, title: 'Memory budget: x', message: 'one\ntwo' })).toBe('::error file=src/a%2Cb.test.ts,line=3,title=Memory budget%3A x::one%0Atwo')
  })

  test('annotations: budget failures and regressions at file and line, warnings as warnings, paths relative to the workspace', () => {
    const report = syntheticReport({ tests: 2000 })
    const all = annotationsFor(report, { root: '/repo/packages/app', workspace: '/repo' })
    const failed = report.tests.filter((t) => t.verdict === 'fail')
    const warned = report.tests.filter((t) => t.verdict === 'warn')
    const regressed = report.tests.filter((t) => t.baseline?.status === 'regressed')
    expect(all.filter((a) => a.title.startsWith('Memory budget') && a.level === 'error')).toHaveLength(failed.length)
    expect(all.filter((a) => a.level === 'warning' && a.title.startsWith('Memory budget'))).toHaveLength(warned.length)
    expect(all.filter((a) => a.title.startsWith('Memory regression'))).toHaveLength(regressed.length)
    const first = all[0]!
    const d = failed[0]!.diagnosis!
    const site = d.sites[0]!
    expect(first).toEqual({
      level: 'error', file: `packages/app/${failed[0]!.file}`, line: failed[0]!.line, title: `Memory budget: ${failed[0]!.name}`,
      message: `${failed[0]!.violations![0]!.message}\nallocated at: ${site.file}:12:3 remember, ${d.sites[1]!.file}:${d.sites[1]!.line}:40 (anonymous)\nheld by: ${d.paths[0]!.path}`,
    })
    // A flagged test's diagnosis also annotates the line that allocated what it kept.
    expect(all[1]).toMatchObject({ level: 'warning', file: `packages/app/${site.file}`, line: 12, col: 3, title: `Memory kept by ${failed[0]!.name}: allocated here` })
    expect(all[1]!.message).toContain(`held by: ${d.paths[0]!.path}`)
    expect(all.filter((a) => a.title.endsWith('allocated here'))).toHaveLength(failed.length)
  })

  test('no more than 50 lines, errors first, then a notice saying how many were left out', () => {
    const report = syntheticReport({ tests: 60, files: 3 })
    for (const t of report.tests) {
      delete t.diagnosis
      t.verdict = 'warn'
      t.violations = [{ metric: 'retained', limit: 1, actual: 2, message: 'over' }]
    }
    report.tests[59]!.verdict = 'fail'
    report.baseline!.mode = 'off'
    const lines = githubAnnotations(report, { root: '/r', workspace: '/r' })
    expect(lines).toHaveLength(51)
    expect(lines[0]).toMatch(/^::error /)
    expect(lines[50]).toBe('::notice title=vitest-memory::10 more memory findings: see the step summary or the report.')
  })
})
