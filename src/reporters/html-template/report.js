// vitest-memory HTML report: the client. Runs from disk, no network. Every piece of report data
// (test names, paths, messages) goes into the page through textContent or attributes, never as
// markup. The big tables are virtual: only the rows in view exist in the DOM.
;(function () {
  'use strict'

  var dataNode = document.getElementById('report-data')
  var report = JSON.parse(dataNode.textContent)
  var app = document.getElementById('app')

  // ---------------------------------------------------------------------------------------------
  // Helpers
  // ---------------------------------------------------------------------------------------------

  /**
   * `make(locale)` with the browser's locale, else English: Chromium turns LANG=C (or no LANG, as in
   * many containers) into `en-US@posix`, a tag that Intl rejects with a RangeError.
   */
  function withLocale(make) {
    try {
      return make(undefined)
    } catch {
      return make('en')
    }
  }

  /** `el('div', { class: 'x' }, 'text', child)`: strings become text nodes. */
  function el(tag, attrs) {
    var node = document.createElement(tag)
    if (attrs) {
      for (var k in attrs) {
        var v = attrs[k]
        if (v === undefined || v === null || v === false) continue
        if (k === 'class') node.className = v
        else if (k === 'text') node.textContent = v
        else if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), v)
        else node.setAttribute(k, v === true ? '' : String(v))
      }
    }
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i])
    return node
  }
  function append(node, child) {
    if (child === undefined || child === null || child === false) return
    if (Array.isArray(child)) child.forEach(function (c) { append(node, c) })
    else if (typeof child === 'string' || typeof child === 'number') node.appendChild(document.createTextNode(String(child)))
    else node.appendChild(child)
  }

  var UNITS = ['B', 'kB', 'MB', 'GB', 'TB']
  /** Bytes for people, powers of 1000, three significant digits (like the terminal and the JSON messages). */
  function bytes(n) {
    if (n === undefined || n === null || !isFinite(n)) return ''
    var sign = n < 0 ? '-' : ''
    var abs = Math.abs(n)
    if (abs < 1000) return sign + Math.round(abs) + ' B'
    var e = Math.min(UNITS.length - 1, Math.floor(Math.log10(abs) / 3))
    var m = abs / Math.pow(1000, e)
    var digits = m >= 99.95 ? 0 : m >= 9.995 ? 1 : 2
    return sign + String(Number(m.toFixed(digits))) + ' ' + UNITS[e]
  }
  function delta(n) {
    if (n === undefined || n === null) return ''
    return n < 0 ? bytes(n) : '+' + bytes(n)
  }
  function ms(n) {
    if (n === undefined || n === null) return ''
    return n < 10 ? n.toFixed(2) + ' ms' : n < 1000 ? Math.round(n) + ' ms' : (n / 1000).toFixed(2) + ' s'
  }
  // How a figure was obtained, as src/reporters/labels.ts says it: `≤` an upper bound, `≥` a lower
  // bound, `~` neither (a file between minor GCs, a concurrent test's shared heap), none: exact.
  function approx(t) {
    return t.precision === 'estimate' ? '≤ ' : t.precision === 'bounded' ? '≥ ' : t.precision === 'shared' ? '~ ' : ''
  }
  function fileApprox(f) {
    return f.precision === 'exact' ? '' : '~ '
  }
  var MEANINGS = {
    '≤': '≤ an upper bound (no full GC after the test: garbage may be counted)',
    '≥': '≥ a lower bound (full GC after the test only)',
    '~': '~ an estimate, not a bound (files between minor GCs, concurrent tests sharing a heap): not comparable with exact figures',
  }
  function legendFor(marks) {
    var parts = ['≤', '≥', '~'].filter(function (m) { return marks.indexOf(m + ' ') !== -1 }).map(function (m) { return MEANINGS[m] })
    return parts.length ? parts.join(' · ') + ' · no mark: exact (full GC before and after)' : ''
  }
  /** What the retained figure of a test is, by how it was read (its label in the details). */
  function retainedLabel(t) {
    if (t.precision === 'exact') return 'heap retained (full GC before and after)'
    if (t.precision === 'bounded') return 'heap retained (full GC after the test: a lower bound)'
    if (t.precision === 'shared') return 'heap change, no GC (shared with the concurrent tests beside it)'
    return t.harnessGcs === 0 ? 'heap growth, no GC (an upper bound of what it retained)' : 'heap retained (minor GC: an upper bound)'
  }
  /** Tests not judged, and why (src/reporters/labels.ts unjudged). */
  function unjudgedText() {
    var unchecked = tests.filter(function (t) { return t.verdict === 'unchecked' })
    if (!unchecked.length) return ''
    var concurrent = unchecked.filter(function (t) { return t.precision === 'shared' }).length
    var off = unchecked.filter(function (t) { return t.precision !== 'shared' && t.budgetMode === 'off' }).length
    var other = unchecked.length - concurrent - off
    var why = [
      concurrent && (concurrent === unchecked.length ? '' : concurrent + ' ') + 'concurrent: they share one heap',
      off && (off === unchecked.length ? '' : off + ' ') + "budgetMode 'off'",
      other && other + ' without a verdict',
    ].filter(Boolean)
    return unchecked.length + ' not judged (' + why.join('; ') + ')'
  }
  function plural(n, word) {
    return n + ' ' + word + (n === 1 ? '' : 's')
  }

  // ---------------------------------------------------------------------------------------------
  // View model
  // ---------------------------------------------------------------------------------------------

  var workers = report.workers || []
  var workersById = {}
  workers.forEach(function (w) { workersById[w.id] = w })

  /** Undo html.ts packRows: rows of values back into objects; a worker id back into { id, slot, pool, pid }. */
  function unpack(packed) {
    if (!packed || !packed.keys) return packed || []
    var keys = packed.keys
    var strings = packed.strings
    var indexed = {}
    packed.indexed.forEach(function (k) { indexed[k] = true })
    return packed.rows.map(function (row) {
      var o = {}
      for (var i = 0; i < keys.length; i++) {
        var v = row[i]
        if (v === null) continue
        var k = keys[i]
        if (indexed[k]) v = strings[v]
        if (k === 'worker') {
          var w = workersById[v]
          v = w ? { id: w.id, slot: w.slot, pid: w.pid, pool: w.pool } : { id: v, slot: '?', pool: '?' }
        }
        o[k] = v
      }
      return o
    })
  }
  var tests = unpack(report.tests)
  var files = unpack(report.files)
  var projects = Array.from(new Set(tests.map(function (t) { return t.project }).concat(files.map(function (f) { return f.project }))))
  var multiProject = projects.length > 1 || (projects.length === 1 && projects[0] !== '')
  var baselineMode = report.baseline ? report.baseline.mode : 'off'

  function where(x) {
    return (x.project && multiProject ? '[' + x.project + '] ' : '') + x.file
  }
  function flagOf(x) {
    if (x.verdict === 'fail') return 'fail'
    if (x.baseline && x.baseline.status === 'regressed') return baselineMode === 'fail' ? 'fail' : 'warn'
    if (x.verdict === 'warn') return 'warn'
    return ''
  }
  tests.forEach(function (t, i) {
    t.vIndex = i
    t.vWhere = where(t)
    t.vPeak = t.peakHeap - t.heapBefore
    t.vFlag = flagOf(t)
    t.vSearch = (t.vWhere + ' > ' + t.name).toLowerCase()
  })
  files.forEach(function (f, i) {
    f.vIndex = i
    f.vWhere = where(f)
    f.vPeak = f.peakHeap - f.heapBefore
    f.vFlag = flagOf(f)
    f.vSearch = f.vWhere.toLowerCase()
  })

  // ---------------------------------------------------------------------------------------------
  // Virtual table
  // ---------------------------------------------------------------------------------------------

  /**
   * A sortable table that renders only the rows in view.
   * columns: [{ key, title, width, num, text(row), sort(row), cls(row) }]
   */
  function VirtualTable(options) {
    var self = this
    var rowHeight = 28
    var columns = options.columns
    this.rows = []
    this.sortKey = options.sortKey
    this.sortDir = options.sortDir || -1
    this.selected = undefined
    var cols = columns.map(function (c) { return c.width }).join(' ')
    this.root = el('div', { class: 'vt', role: 'table', 'aria-label': options.label, 'data-table': options.name, style: '--cols: ' + cols })
    var head = el('div', { class: 'vt-head', role: 'row' })
    this.headers = {}
    columns.forEach(function (c) {
      var cell = el('div', { class: 'vt-cell' + (c.num ? ' num' : ''), role: 'columnheader', 'data-key': c.key },
        el('button', { type: 'button', title: 'Sort by ' + c.title, onclick: function () { self.sortBy(c.key) } }, c.title))
      self.headers[c.key] = cell
      head.appendChild(cell)
    })
    this.body = el('div', { class: 'vt-body', role: 'rowgroup', style: 'height: ' + (options.height || 480) + 'px' })
    this.spacer = el('div', { class: 'vt-spacer' })
    this.layer = el('div', { class: 'vt-rows' })
    this.empty = el('div', { class: 'vt-empty', hidden: true }, options.empty || 'Nothing to show.')
    this.body.appendChild(this.spacer)
    this.body.appendChild(this.layer)
    this.root.appendChild(head)
    this.root.appendChild(this.body)
    this.root.appendChild(this.empty)
    var frame = 0
    this.body.addEventListener('scroll', function () {
      if (frame) return
      frame = requestAnimationFrame(function () { frame = 0; self.draw() })
    })
    this.body.addEventListener('keydown', function (e) {
      if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return
      var i = self.rows.indexOf(self.selected)
      var next = self.rows[Math.max(0, Math.min(self.rows.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)))]
      if (next) {
        e.preventDefault()
        self.select(next, true)
      }
    })
    this.columns = columns
    this.rowHeight = rowHeight
    this.options = options
    this.pool = []
  }
  VirtualTable.prototype.setRows = function (rows) {
    this.all = rows
    this.applySort()
  }
  VirtualTable.prototype.sortBy = function (key) {
    if (this.sortKey === key) this.sortDir = -this.sortDir
    else {
      this.sortKey = key
      var col = this.columns.find(function (c) { return c.key === key })
      this.sortDir = col && col.num ? -1 : 1
    }
    this.applySort()
  }
  // Names and files in natural order: `order 2` before `order 10`, as in the terminal and the report.
  var naturalOrder = withLocale(function (locale) { return new Intl.Collator(locale, { numeric: true }) })
  VirtualTable.prototype.applySort = function () {
    var col = this.columns.find(function (c) { var k = this.sortKey; return c.key === k }, this)
    var dir = this.sortDir
    var rows = this.all.slice()
    if (col) {
      var value = col.sort || col.text
      var keyed = rows.map(function (r) { return { r: r, v: value(r) } })
      keyed.sort(function (a, b) {
        var x = a.v
        var y = b.v
        // Missing values sort last whatever the direction.
        var xm = x === undefined || x === null || (typeof x === 'number' && isNaN(x))
        var ym = y === undefined || y === null || (typeof y === 'number' && isNaN(y))
        if (xm || ym) return xm === ym ? a.r.vIndex - b.r.vIndex : xm ? 1 : -1
        if (typeof x === 'string') {
          var c = naturalOrder.compare(x, y)
          return c !== 0 ? c * dir : a.r.vIndex - b.r.vIndex
        }
        return x !== y ? (x - y) * dir : a.r.vIndex - b.r.vIndex
      })
      rows = keyed.map(function (k) { return k.r })
    }
    for (var key in this.headers) {
      this.headers[key].setAttribute('aria-sort', key === this.sortKey ? (dir > 0 ? 'ascending' : 'descending') : 'none')
    }
    this.rows = rows
    this.spacer.style.height = rows.length * this.rowHeight + 'px'
    this.empty.hidden = rows.length > 0
    this.draw()
  }
  VirtualTable.prototype.draw = function () {
    var h = this.rowHeight
    var top = this.body.scrollTop
    var height = this.body.clientHeight || 480
    var first = Math.max(0, Math.floor(top / h) - 5)
    var last = Math.min(this.rows.length, Math.ceil((top + height) / h) + 5)
    this.layer.style.transform = 'translateY(' + first * h + 'px)'
    var count = last - first
    while (this.pool.length < count) this.pool.push(this.makeRow())
    for (var i = 0; i < this.pool.length; i++) {
      var node = this.pool[i]
      if (i >= count) {
        if (node.parentNode) node.remove()
        continue
      }
      this.fill(node, this.rows[first + i])
      if (!node.parentNode || node.parentNode !== this.layer) this.layer.appendChild(node)
    }
    // Keep DOM order equal to row order.
    for (var j = 0; j < count; j++) {
      if (this.layer.children[j] !== this.pool[j]) this.layer.insertBefore(this.pool[j], this.layer.children[j] || null)
    }
  }
  VirtualTable.prototype.makeRow = function () {
    var self = this
    var row = el('div', { class: 'vt-row', role: 'row', tabindex: '0' })
    this.columns.forEach(function (c) {
      row.appendChild(el('div', { class: 'vt-cell' + (c.num ? ' num' : ''), role: 'cell', 'data-key': c.key }))
    })
    row.addEventListener('click', function () { self.select(row.vRow, false) })
    row.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault()
        self.select(row.vRow, false)
      }
    })
    return row
  }
  VirtualTable.prototype.fill = function (node, r) {
    node.vRow = r
    var flag = this.options.flag ? this.options.flag(r) : ''
    node.className = 'vt-row' + (flag ? ' flag-' + flag : '') + (r === this.selected ? ' selected' : '')
    node.setAttribute('data-index', String(r.vIndex))
    if (flag) node.setAttribute('data-flag', flag)
    else node.removeAttribute('data-flag')
    for (var i = 0; i < this.columns.length; i++) {
      var c = this.columns[i]
      var cell = node.children[i]
      var text = c.text(r)
      cell.textContent = text
      cell.title = c.tip ? c.tip(r) : text
      cell.className = 'vt-cell' + (c.num ? ' num' : '') + (c.cls ? ' ' + c.cls(r) : '')
    }
  }
  VirtualTable.prototype.select = function (r, scroll) {
    this.selected = r
    if (scroll) {
      var i = this.rows.indexOf(r)
      var top = i * this.rowHeight
      if (top < this.body.scrollTop) this.body.scrollTop = top
      else if (top + this.rowHeight > this.body.scrollTop + this.body.clientHeight) this.body.scrollTop = top + this.rowHeight - this.body.clientHeight
    }
    this.draw()
    var node = this.pool.find(function (n) { return n.vRow === r && n.parentNode })
    if (scroll && node) node.focus()
    if (this.options.onSelect) this.options.onSelect(r)
  }

  // ---------------------------------------------------------------------------------------------
  // Sections
  // ---------------------------------------------------------------------------------------------

  function header() {
    var s = report.summary
    var env = report.environment || {}
    var b = report.baseline
    var created = new Date(report.createdAt)
    var cards = [
      ['Tests', s.tests],
      ['Files', s.files],
      ['Workers', s.workers],
      ['Over budget', s.failed, s.failed ? 'bad' : ''],
      ['Warnings', s.warned, s.warned ? 'warnc' : ''],
    ]
    if (b && b.summary) {
      cards.push(['Regressed', b.summary.regressed, b.summary.regressed ? (b.mode === 'fail' ? 'bad' : 'warnc') : ''])
      cards.push(['Improved', b.summary.improved])
      cards.push(['New', b.summary.new])
      cards.push(['Gone', b.summary.gone])
    }
    var heaviest = tests.filter(function (t) { return t.precision !== 'shared' }).sort(function (x, y) { return y.retained - x.retained })[0]
    var unchecked = tests.filter(function (t) { return t.verdict === 'unchecked' }).length
    if (unchecked) cards.push(['Not judged', unchecked])
    cards.push(['Most retained', (heaviest && heaviest.retained === s.maxRetained ? approx(heaviest) : '') + bytes(s.maxRetained)])
    cards.push(['Highest peak', bytes(s.maxPeakAboveStart)])
    cards.push(['Harness GC', ms(s.harnessGcMs)])
    return el('header', null,
      el('h1', null, 'vitest-memory report'),
      el('div', { class: 'muted' },
        (isNaN(created) ? report.createdAt : withLocale(function (locale) { return created.toLocaleString(locale) })) + ' · ' + report.mode + ' mode · Node ' + env.node + ' · Vitest ' + env.vitest +
        ' · ' + (report.pools || []).join(', ') + ' · ' + report.root),
      el('div', { class: 'cards', id: 'summary' }, cards.map(function (c) {
        return el('div', { class: 'card ' + (c[2] || ''), 'data-card': c[0] }, el('b', null, String(c[1])), c[0])
      })))
  }

  function notes() {
    var out = []
    var b = report.baseline
    if (b) {
      var cls = b.verdict === 'fail' ? 'fail' : b.verdict === 'warn' || b.status === 'corrupt' ? 'warn' : b.verdict === 'pass' ? 'pass' : ''
      var banner = el('div', { class: 'banner ' + cls, id: 'baseline' }, el('b', null, 'Baseline (' + b.file + '): '), b.message)
      if (b.gone && b.gone.length) {
        banner.appendChild(el('details', null, el('summary', null, plural(b.gone.length, 'entry') + ' gone from the suite'),
          el('ul', null, b.gone.map(function (g) { return el('li', null, where(g) + (g.name !== undefined ? ' > ' + g.name : ' (whole file)')) }))))
      }
      out.push(banner)
    }
    if (report.interrupted && report.interrupted.length) {
      out.push(el('div', { class: 'banner fail', id: 'interrupted' }, el('b', null, 'Worker stopped or died while these tests ran:'),
        el('ul', null, report.interrupted.map(function (t) { return el('li', null, where(t) + ' > ' + t.name + (t.stopped ? ' (stopped by the watchdog)' : ' (died)')) }))))
    }
    var notJudged = unjudgedText()
    if (notJudged) out.push(el('div', { class: 'banner', id: 'not-judged' }, el('b', null, 'Not judged: '), notJudged))
    if (report.notes && report.notes.length) {
      out.push(el('ul', { class: 'notes' }, report.notes.map(function (n) { return el('li', null, n) })))
    }
    return out
  }

  // Heap over the run: one series per pool slot; a new worker process in the same slot starts a
  // new line segment (a null point between them breaks the line).
  function chartSection() {
    var box = el('div', { class: 'chart-box', id: 'chart' })
    var exactOnly = el('input', { type: 'checkbox', id: 'exact-only' })
    var section = el('section', null,
      el('h2', null, 'Heap over the run, per worker'),
      el('div', { class: 'toolbar' }, el('label', null, exactOnly, ' exact readings only (after a full GC: the live heap)')),
      box)
    var plot
    function build() {
      if (typeof uPlot === 'undefined') {
        box.textContent = 'The chart library did not load.'
        return
      }
      var slots = Array.from(new Set(workers.map(function (w) { return w.slot }))).sort(function (a, b) { return Number(a) - Number(b) || String(a).localeCompare(String(b)) })
      if (!slots.length || !workers.some(function (w) { return w.series.length })) {
        box.textContent = 'No readings.'
        return
      }
      var t0 = Infinity
      workers.forEach(function (w) { if (w.series.length) t0 = Math.min(t0, w.series[0][0]) })
      // points: [x seconds, slot index, heap]; breaks: [x, slot index]
      var points = []
      var bySlot = {}
      workers.forEach(function (w) { (bySlot[w.slot] = bySlot[w.slot] || []).push(w) })
      slots.forEach(function (slot, si) {
        var ws = bySlot[slot].slice().sort(function (a, b) { return (a.series[0] ? a.series[0][0] : 0) - (b.series[0] ? b.series[0][0] : 0) })
        var lastX
        ws.forEach(function (w) {
          var series = exactOnly.checked ? w.series.filter(function (p) { return p[2] === 1 }) : w.series
          if (!series.length) return
          var firstX = (series[0][0] - t0) / 1000
          if (lastX !== undefined) points.push([(lastX + firstX) / 2, si, null])
          series.forEach(function (p) { points.push([(p[0] - t0) / 1000, si, p[1]]) })
          lastX = (series[series.length - 1][0] - t0) / 1000
        })
      })
      points.sort(function (a, b) { return a[0] - b[0] })
      var xs = []
      var ys = slots.map(function () { return [] })
      points.forEach(function (p) {
        var i = xs.length
        if (i > 0 && xs[i - 1] === p[0] && ys[p[1]][i - 1] === undefined) i = i - 1
        else {
          xs.push(p[0])
          ys.forEach(function (y) { y.push(undefined) })
        }
        ys[p[1]][i] = p[2]
      })
      // Before the cursor is on the chart (idx null), the legend shows where each line ends: the
      // last time and each slot's last reading. On hover, a slot without a point there shows '–'.
      var last = ys.map(function (y) {
        for (var k = y.length - 1; k >= 0; k--) if (y[k] !== null && y[k] !== undefined) return y[k]
        return undefined
      })
      var palette = ['#2f6fdf', '#d1495b', '#00798c', '#edae49', '#66a182', '#8d6cab', '#e07a5f', '#3d405b']
      var opts = {
        width: Math.max(320, box.clientWidth - 16),
        height: 300,
        scales: { x: { time: false } },
        axes: [
          { label: 'seconds since the first reading', values: function (u, vals) { return vals.map(function (v) { return v + ' s' }) } },
          { size: 70, values: function (u, vals) { return vals.map(function (v) { return bytes(v) }) } },
        ],
        series: [{ label: 'time', value: function (u, v, si, idx) {
          if (idx === null || idx === undefined) return xs.length ? 'last reading at ' + xs[xs.length - 1].toFixed(2) + ' s' : '–'
          return v === null || v === undefined ? '–' : v.toFixed(2) + ' s'
        } }].concat(slots.map(function (slot, i) {
          return {
            label: 'slot ' + String(slot).replace(/[^\w.-]/g, ''),
            stroke: palette[i % palette.length],
            width: 1.5,
            points: { show: xs.length < 400 },
            value: function (u, v, si, idx) {
              if (idx === null || idx === undefined) return last[i] === undefined ? '–' : 'last ' + bytes(last[i])
              return v === null || v === undefined ? '–' : bytes(v)
            },
          }
        })),
      }
      if (plot) plot.destroy()
      box.textContent = ''
      plot = new uPlot(opts, [xs].concat(ys), box)
    }
    exactOnly.addEventListener('change', build)
    var resizeTimer = 0
    window.addEventListener('resize', function () {
      clearTimeout(resizeTimer)
      resizeTimer = setTimeout(function () { if (plot) plot.setSize({ width: Math.max(320, box.clientWidth - 16), height: 300 }) }, 100)
    })
    return { section: section, build: build }
  }

  function verdictText(x) { return x.verdict }
  function baselineText(x) {
    var b = x.baseline
    if (!b) return ''
    if (b.status === 'new') return 'new'
    var d = delta(b.retainedDelta)
    return b.status === 'regressed' ? '▲ ' + d : b.status === 'improved' ? '▼ ' + d : d
  }
  function baselineSort(x) {
    var b = x.baseline
    if (!b || b.status === 'new') return undefined
    return b.retainedDelta
  }
  function baselineCls(x) { return x.baseline ? 'b-' + x.baseline.status : '' }
  function baselineTip(x) {
    var b = x.baseline
    if (!b) return 'not compared with a baseline'
    if (b.status === 'new') return 'new: not in the baseline'
    return b.status + (b.messages ? ': ' + b.messages.join('; ') : ': retained ' + delta(b.retainedDelta) + ', peak ' + delta(b.peakDelta) + ' from the baseline')
  }

  function filesSection(onPick) {
    var columns = [
      { key: 'file', title: 'File', width: 'minmax(240px, 3fr)', text: function (f) { return f.vWhere } },
      { key: 'tests', title: 'Tests', width: '70px', num: true, text: function (f) { return String(f.tests) }, sort: function (f) { return f.tests } },
      { key: 'retained', title: 'Retained', width: '100px', num: true, text: function (f) { return fileApprox(f) + delta(f.retained) }, sort: function (f) { return f.retained } },
      { key: 'peak', title: 'Peak', width: '100px', num: true, text: function (f) { return delta(f.vPeak) }, sort: function (f) { return f.vPeak } },
      { key: 'rss', title: 'RSS peak', width: '100px', num: true, text: function (f) { return bytes(f.rssPeak) }, sort: function (f) { return f.rssPeak } },
      { key: 'gc', title: 'GC time', width: '90px', num: true, text: function (f) { return ms(f.harnessGcMs) }, sort: function (f) { return f.harnessGcMs } },
      { key: 'verdict', title: 'Verdict', width: '100px', text: verdictText, cls: function (f) { return 'v-' + f.verdict } },
      { key: 'baseline', title: 'Baseline Δ', width: '120px', num: true, text: baselineText, sort: baselineSort, cls: baselineCls, tip: baselineTip },
    ]
    var table = new VirtualTable({
      name: 'files', label: 'Test files', columns: columns, sortKey: 'retained', sortDir: -1,
      height: Math.min(320, Math.max(1, files.length) * 28 + 2), flag: function (f) { return f.vFlag },
      empty: 'No file readings.', onSelect: onPick,
    })
    table.setRows(files)
    var exact = files.filter(function (f) { return f.precision === 'exact' }).length
    var heading = exact === files.length ? 'Files (full GC before and after: exact)'
      : exact === 0 ? 'Files (~ minor GC at both ends: estimates, not comparable with the tests\' figures)'
        : 'Files (exact, or ~ minor GC estimates)'
    var note = exact === files.length ? '' : ' Without a file budget (or a baseline) a file is read after a minor GC at each end: garbage at either end is counted, so its figure is neither an upper nor a lower bound and can be below one of its own tests\' exact readings. Set a file budget for exact ones.'
    return { section: el('section', { id: 'files' }, el('h2', null, heading), el('p', { class: 'muted' }, 'Pick a file to see its tests.' + note), table.root), table: table }
  }

  function workersSection() {
    if (!workers.length) return null
    var rows = workers.map(function (w) {
      return el('tr', { class: w.verdict === 'fail' ? 'flag-fail' : w.verdict === 'warn' ? 'flag-warn' : '' },
        el('td', { class: 'mono' }, w.id), el('td', null, w.slot), el('td', null, w.pool), el('td', { class: 'num' }, String(w.files)),
        el('td', { class: 'num' }, String(w.tests)), el('td', { class: 'num' }, (w.heapGrowthPrecision === 'estimate' ? '~ ' : '') + delta(w.heapGrowth)), el('td', { class: 'num' }, bytes(w.rssPeak)),
        el('td', { class: 'v-' + w.verdict }, w.verdict + (w.violations ? ': ' + w.violations.map(function (v) { return v.message }).join('; ') : '')))
    })
    return el('details', { id: 'workers' }, el('summary', null, 'Workers (' + workers.length + ')'),
      el('table', { class: 'small-table' },
        el('thead', null, el('tr', null, ['Worker', 'Slot', 'Pool', 'Files', 'Tests', 'Heap growth', 'RSS peak', 'Verdict'].map(function (h, i) {
          return el('th', { class: i >= 3 && i <= 6 ? 'num' : '' }, h)
        }))),
        el('tbody', null, rows)))
  }

  function testsSection() {
    var search = el('input', { type: 'search', id: 'filter', placeholder: 'Filter by file or test name', 'aria-label': 'Filter tests by file or name' })
    var verdict = el('select', { id: 'verdict-filter', 'aria-label': 'Show tests' },
      el('option', { value: '' }, 'all tests'),
      el('option', { value: 'flagged' }, 'flagged (over budget or regressed)'),
      el('option', { value: 'fail' }, 'verdict: fail'),
      el('option', { value: 'warn' }, 'verdict: warn'),
      el('option', { value: 'pass' }, 'verdict: pass'),
      el('option', { value: 'unchecked' }, 'verdict: unchecked'),
      report.baseline ? [
        el('option', { value: 'regressed' }, 'baseline: regressed'),
        el('option', { value: 'improved' }, 'baseline: improved'),
        el('option', { value: 'new' }, 'baseline: new'),
      ] : null)
    var project = multiProject ? el('select', { id: 'project-filter', 'aria-label': 'Project' },
      el('option', { value: '\u0000' }, 'all projects'), projects.map(function (p) { return el('option', { value: p }, p || '(default)') })) : null
    var fileChip = el('span', { class: 'chip', id: 'file-chip', hidden: true })
    var count = el('span', { class: 'muted', id: 'count' })
    var columns = [
      { key: 'file', title: 'File', width: 'minmax(160px, 2fr)', text: function (t) { return t.vWhere } },
      { key: 'name', title: 'Test', width: 'minmax(200px, 3fr)', text: function (t) { return t.name } },
      { key: 'retained', title: 'Retained', width: '115px', num: true, text: function (t) { return approx(t) + delta(t.retained) }, sort: function (t) { return t.retained } },
      { key: 'peak', title: 'Peak', width: '100px', num: true, text: function (t) { return delta(t.vPeak) }, sort: function (t) { return t.vPeak } },
      { key: 'rss', title: 'RSS peak', width: '100px', num: true, text: function (t) { return bytes(t.rssPeak) }, sort: function (t) { return t.rssPeak } },
      { key: 'duration', title: 'Duration', width: '90px', num: true, text: function (t) { return ms(t.durationMs) }, sort: function (t) { return t.durationMs } },
      { key: 'verdict', title: 'Verdict', width: '100px', text: verdictText, cls: function (t) { return 'v-' + t.verdict } },
      { key: 'baseline', title: 'Baseline Δ', width: '120px', num: true, text: baselineText, sort: baselineSort, cls: baselineCls, tip: baselineTip },
    ]
    var details = el('div', { class: 'details', id: 'details', hidden: true, 'aria-live': 'polite' })
    var table = new VirtualTable({
      name: 'tests', label: 'Tests', columns: columns, sortKey: 'retained', sortDir: -1, height: Math.min(560, Math.max(3, tests.length) * 28 + 2),
      flag: function (t) { return t.vFlag }, empty: 'No test matches the filter.',
      onSelect: function (t) { showTest(details, t) },
    })
    var state = { file: undefined }
    function apply() {
      var q = search.value.trim().toLowerCase()
      var v = verdict.value
      var p = project ? project.value : '\u0000'
      var rows = tests.filter(function (t) {
        if (state.file && (t.file !== state.file.file || t.project !== state.file.project)) return false
        if (p !== '\u0000' && t.project !== p) return false
        if (q && t.vSearch.indexOf(q) === -1) return false
        if (!v) return true
        if (v === 'flagged') return t.vFlag !== ''
        if (v === 'regressed' || v === 'improved' || v === 'new') return !!t.baseline && t.baseline.status === v
        return t.verdict === v
      })
      table.setRows(rows)
      count.textContent = rows.length === tests.length ? plural(tests.length, 'test') : rows.length + ' of ' + plural(tests.length, 'test')
    }
    var timer = 0
    search.addEventListener('input', function () {
      clearTimeout(timer)
      timer = setTimeout(apply, tests.length > 2000 ? 120 : 0)
    })
    verdict.addEventListener('change', apply)
    if (project) project.addEventListener('change', apply)
    function pickFile(f) {
      state.file = f
      fileChip.textContent = ''
      if (f) {
        fileChip.appendChild(document.createTextNode('file: ' + f.vWhere))
        fileChip.appendChild(el('button', { type: 'button', title: 'Show every file', 'aria-label': 'Clear the file filter', onclick: function () { pickFile(undefined) } }, '×'))
        showFile(details, f)
      } else {
        details.hidden = true
      }
      fileChip.hidden = !f
      apply()
    }
    var marks = tests.map(approx).concat(files.map(fileApprox)).join('')
    var key = legendFor(marks)
    var section = el('section', null,
      el('h2', null, 'Tests'),
      el('div', { class: 'toolbar' }, search, verdict, project, fileChip, count),
      key ? el('p', { class: 'muted', id: 'legend' }, key) : null,
      table.root, details)
    return { section: section, apply: apply, pickFile: pickFile, table: table, details: details }
  }

  function kv(pairs) {
    var dl = el('dl', { class: 'kv' })
    pairs.forEach(function (p) {
      if (p[1] === undefined || p[1] === '') return
      dl.appendChild(el('dt', null, p[0]))
      dl.appendChild(el('dd', null, p[1]))
    })
    return dl
  }

  function baselineBlock(x) {
    var b = x.baseline
    if (!b) return null
    if (b.status === 'new') return el('p', { class: 'b-new' }, 'New: not in the baseline yet.')
    return el('div', null,
      el('h3', null, 'Baseline: ', el('span', { class: 'b-' + b.status }, b.status)),
      b.messages ? el('ul', null, b.messages.map(function (m) { return el('li', null, m) })) : null,
      kv([['retained', bytes(b.retained) + ' → ' + bytes(x.retained) + ' (' + delta(b.retainedDelta) + ')'],
        ['peak above start', bytes(b.peak) + ' → ' + bytes(x.peakHeap - x.heapBefore) + ' (' + delta(b.peakDelta) + ')']]))
  }

  function showTest(details, t) {
    details.textContent = ''
    details.hidden = false
    details.setAttribute('data-kind', 'test')
    var handles = t.handlesLeft ? Object.keys(t.handlesLeft).map(function (k) { return t.handlesLeft[k] + ' ' + k }).join(', ') : ''
    var retained = approx(t) + delta(t.retained) + (t.retainedMax !== undefined ? ' (at most ' + delta(t.retainedMax) + ')' : '')
    details.appendChild(el('h3', null, t.vWhere + ' > ' + t.name + (t.line ? ' (line ' + t.line + ')' : '')))
    details.appendChild(el('p', null,
      el('span', { class: 'v-' + t.verdict }, t.verdict), ' · ', t.state, ' · reading ', t.precision, t.concurrent ? ' · concurrent' : ''))
    if (t.violations && t.violations.length) {
      details.appendChild(el('ul', { class: 'violations' }, t.violations.map(function (v) { return el('li', { class: 'v-' + t.verdict }, v.message) })))
    }
    append(details, baselineBlock(t))
    details.appendChild(el('h3', null, 'What grew'))
    details.appendChild(kv([
      [retainedLabel(t), retained],
      ['peak heap above start', delta(t.vPeak)],
      ['heap before → after', bytes(t.heapBefore) + ' → ' + bytes(t.heapAfter)],
      ['external', delta(t.externalAfter - t.externalBefore) + ' (' + bytes(t.externalBefore) + ' → ' + bytes(t.externalAfter) + ')'],
      ['array buffers', delta(t.arrayBuffersAfter - t.arrayBuffersBefore)],
      ['RSS before → after, peak', bytes(t.rssBefore) + ' → ' + bytes(t.rssAfter) + ', peak ' + bytes(t.rssPeak)],
      ['left open', handles],
      ['GCs during the test', t.gcs + (t.majorGcs ? ' (' + t.majorGcs + ' major)' : '')],
      ['duration', ms(t.durationMs) + (t.harnessGcs === 0 ? ' (the harness ran no GC)' : ' (harness GC ' + ms(t.harnessGcMs) + (t.harnessGcs ? ', ' + plural(t.harnessGcs, 'GC') : '') + ')')],
      ['budget', budgetText(t.budget) + ' · ' + t.budgetMode],
      ['worker', t.worker ? t.worker.id + ' (slot ' + t.worker.slot + ', ' + t.worker.pool + ')' : ''],
      ['test id', t.id],
    ]))
    if (t.repeat) {
      var r = t.repeat
      details.appendChild(el('h3', null, 'Repeated runs: ' + r.verdict))
      details.appendChild(kv([['growth per run', delta(r.perRun) + (r.signal ? ' (' + r.signal + ')' : '')],
        ['runs', (r.runs || []).map(function (x) { return delta(x.heap) }).join(', ')]]))
      if (r.grew && r.grew.length) {
        details.appendChild(el('table', { class: 'small-table' },
          el('thead', null, el('tr', null, el('th', null, 'kind'), el('th', { class: 'num' }, 'count'), el('th', { class: 'num' }, 'bytes'))),
          el('tbody', null, r.grew.map(function (g) { return el('tr', null, el('td', null, g.kind), el('td', { class: 'num' }, String(g.count)), el('td', { class: 'num' }, delta(g.bytes))) }))))
      }
    }
    append(details, diagnosisBlock(t.diagnosis))
  }

  /** Where it was allocated and what holds it: an expandable panel, open on a flagged test. */
  function diagnosisBlock(d) {
    if (!d) return null
    var parts = [el('summary', null, 'Where it was allocated, what holds it' + (d.sites.length ? ' (' + d.sites[0].file + ':' + d.sites[0].line + ')' : ''))]
    if (d.sites.length) {
      parts.push(el('table', { class: 'small-table diagnosis-sites' },
        el('thead', null, el('tr', null, el('th', null, 'allocated at'), el('th', null, 'function'), el('th', { class: 'num' }, 'bytes (sampled)'), el('th', { class: 'num' }, 'samples'))),
        el('tbody', null, d.sites.map(function (s) {
          return el('tr', null, el('td', null, s.file + ':' + s.line + ':' + s.column), el('td', null, s.function), el('td', { class: 'num' }, bytes(s.bytes)), el('td', { class: 'num' }, String(s.samples)))
        }))))
    }
    if (d.paths.length) {
      parts.push(el('ul', { class: 'diagnosis-paths' }, d.paths.map(function (p) {
        return el('li', null, el('code', null, p.path), ' ' + bytes(p.bytes) + (p.bytesBefore !== undefined ? ' (' + delta(p.bytes - p.bytesBefore) + ' since the last diagnosis)' : ''))
      })))
    }
    if (d.skipped) parts.push(el('p', null, 'Diagnosis incomplete: ' + d.skipped))
    parts.push(el('p', { class: 'muted' }, 'diagnosis took ' + ms(d.ms)))
    return el('details', { class: 'diagnosis', open: true }, parts)
  }

  function budgetText(b) {
    if (!b) return 'none'
    var parts = []
    if (b.retained !== undefined) parts.push('retained ' + bytes(b.retained))
    if (b.peak !== undefined) parts.push('peak ' + bytes(b.peak))
    if (b.rss !== undefined) parts.push('RSS ' + bytes(b.rss))
    return parts.length ? parts.join(', ') : 'none'
  }

  function showFile(details, f) {
    details.textContent = ''
    details.hidden = false
    details.setAttribute('data-kind', 'file')
    details.appendChild(el('h3', null, f.vWhere + ' (whole file)'))
    details.appendChild(el('p', null, el('span', { class: 'v-' + f.verdict }, f.verdict), ' · ' + plural(f.tests, 'test') + ' · ' +
      (f.precision === 'exact' ? 'exact (full GC at both ends)' : 'estimate (minor GC at both ends: neither an upper nor a lower bound)')))
    if (f.violations && f.violations.length) {
      details.appendChild(el('ul', { class: 'violations' }, f.violations.map(function (v) { return el('li', { class: 'v-' + f.verdict }, v.message) })))
    }
    append(details, baselineBlock(f))
    details.appendChild(kv([
      ['retained by the file', fileApprox(f) + delta(f.retained)],
      ['retained by its tests (sum)', (tests.some(function (t) { return t.file === f.file && t.project === f.project && t.precision !== 'exact' }) ? '~ ' : '') + delta(f.testsRetained)],
      ['peak heap above start', delta(f.vPeak)],
      ['heap before → after', bytes(f.heapBefore) + ' → ' + bytes(f.heapAfter)],
      ['external', delta(f.externalAfter - f.externalBefore)],
      ['RSS before → after, peak', bytes(f.rssBefore) + ' → ' + bytes(f.rssAfter) + ', peak ' + bytes(f.rssPeak)],
      ['harness GC', ms(f.harnessGcMs) + ' in ' + plural(f.fullGcs, 'full GC')],
      ['budget', budgetText(f.budget) + ' · ' + f.budgetMode],
      ['worker', f.worker ? f.worker.id + ' (slot ' + f.worker.slot + ')' : ''],
    ]))
  }

  // ---------------------------------------------------------------------------------------------
  // Page
  // ---------------------------------------------------------------------------------------------

  document.title = 'vitest-memory: ' + report.summary.tests + ' tests' + (report.summary.failed ? ', ' + report.summary.failed + ' over budget' : '')
  app.textContent = ''
  append(app, header())
  append(app, notes())
  var chart = chartSection()
  app.appendChild(chart.section)
  var testsPart = testsSection()
  var filesPart = filesSection(function (f) {
    testsPart.pickFile(f)
    testsPart.section.scrollIntoView({ block: 'start' })
  })
  app.appendChild(filesPart.section)
  append(app, workersSection())
  app.appendChild(testsPart.section)
  testsPart.apply()
  chart.build()
  app.setAttribute('aria-busy', 'false')
  // For tests and benchmarks: the page is interactive from here.
  performance.mark('vitest-memory:interactive')
  document.documentElement.setAttribute('data-ready', 'true')
})()
