// Renders the chart components (web/src/charts/*.jsx) to a plain element tree and checks
// what a reader gets: the figures as text, the badges, and the accessibility rules every
// chart keeps (named SVGs, captioned tables with scoped headers, no style attributes,
// SVG attributes spelled as Preact 11 sets them). The JSX is compiled with the page's own
// esbuild: `npm ci` in web/ first (building the server does it; tests/run.sh runs these
// tests after that build).
//   node --test web/test/
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const charts = join(here, '../src/charts')

const esbuild = createRequire(import.meta.url)(join(here, '../node_modules/esbuild'))

async function loadComponents() {
  const out = await esbuild.build({
    stdin: {
      contents: `
        export { Radar } from './Radar.jsx'
        export { ApproachBars } from './ApproachBars.jsx'
        export { Worlds } from './Worlds.jsx'
        export { VoteDistribution } from './VoteDistribution.jsx'
      `,
      resolveDir: charts,
      loader: 'js'
    },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    nodePaths: [join(here, '../node_modules')],
    logLevel: 'silent'
  })
  const code = out.outputFiles[0].text
  return import('data:text/javascript;base64,' + Buffer.from(code).toString('base64'))
}
const components = esbuild ? await loadComponents() : {}

/**
 * Resolves a Preact vnode into `{ type, props, children }` elements and strings, calling
 * function components (all of these are pure functions of their props).
 */
function resolve(node) {
  if (node == null || typeof node === 'boolean') return []
  if (typeof node === 'string' || typeof node === 'number') return [String(node)]
  if (Array.isArray(node)) return node.flatMap(resolve)
  if (typeof node.type === 'function') return resolve(node.type(node.props))
  const { children, ...props } = node.props
  return [{ type: node.type, props, children: resolve(children) }]
}
const render = (vnode) => resolve(vnode)

function* walk(nodes) {
  for (const n of nodes) {
    if (typeof n === 'string') continue
    yield n
    yield* walk(n.children)
  }
}
const all = (tree, type) => [...walk(tree)].filter((n) => n.type === type)
const text = (nodes) =>
  (Array.isArray(nodes) ? nodes : [nodes])
    .map((n) => (typeof n === 'string' ? n : text(n.children)))
    .join('')
const hasClass = (n, name) => String(n.props.class ?? '').split(/\s+/).includes(name)

/** The accessibility rules every chart keeps, checked on a rendered tree. */
function assertAccessible(tree) {
  for (const el of walk(tree)) {
    assert.equal(el.props.style, undefined, `<${el.type}> has no style attribute`)
    assert.equal(el.props.id, undefined, `<${el.type}> sets no id that could repeat on a page`)
  }
  for (const svg of all(tree, 'svg')) {
    if (svg.props['aria-hidden'] === 'true') continue
    assert.equal(svg.props.role, 'img', 'an SVG that is not hidden has role="img"')
    const title = svg.children.find((c) => c.type === 'title')
    assert.ok(svg.props['aria-label'] || (title && text(title).length > 0), 'an SVG has a name')
    assert.equal(svg.children[0]?.type, 'title', '<title> is the first child of the SVG')
  }
  const svgElements = all(tree, 'svg').flatMap((s) => [...walk([s])])
  for (const el of svgElements) {
    for (const name of Object.keys(el.props)) {
      // Preact 11 sets SVG attributes by their own names: camelCase presentation
      // attributes (strokeWidth) would be set verbatim and ignored by the browser.
      if (['viewBox', 'preserveAspectRatio', 'key'].includes(name)) continue
      assert.match(name, /^[a-z][a-z0-9-]*$/, `<${el.type}> attribute ${name}`)
    }
  }
  for (const table of all(tree, 'table')) {
    assert.equal(table.children[0]?.type, 'caption', 'a table starts with its caption')
    assert.ok(text(table.children[0]).trim().length > 0, 'the caption says something')
    for (const th of all([table], 'th')) {
      assert.ok(['col', 'row'].includes(th.props.scope), `<th> "${text(th)}" has a scope`)
    }
  }
}

const worlds = (customer, service, management, political) => ({ customer, service, management, political })
const ASPECTS = [
  { id: 'whole-system', title: 'Whole system design', score: 3.667, confidence: 1, quick: 3, delta: 0.667, basis: 'workshop', contested: [], worlds: worlds(3.5, 4, 3.2, null), perspective_gap: 0.8 },
  { id: 'relationships', title: 'Relationships and organisation across the system', score: 2.4, confidence: 0.833, quick: 3, delta: -0.6, basis: 'workshop', contested: ['provider-trust'], worlds: worlds(2, 3.25, 2.5, 2.5), perspective_gap: 1.25 },
  { id: 'capacity', title: 'Capacity, capability and confidence', score: 2, confidence: 0.6, quick: 2, delta: 0, basis: 'workshop', contested: [], worlds: worlds(2, 2, 2, 2), perspective_gap: 0 },
  { id: 'user-outcome', title: 'User and outcome-centred', score: 4.25, confidence: 1, quick: 3, delta: 1.25, basis: 'workshop', contested: [], worlds: worlds(4.5, 4, 4.2, 3.5), perspective_gap: 1 },
  { id: 'information', title: 'Information, insight and innovation', score: 3.1, confidence: 0.5, quick: 4, delta: -0.9, basis: 'workshop', contested: [], worlds: worlds(null, 3, null, null), perspective_gap: null },
  { id: 'policy', title: 'Managing the policy and compliance landscape', score: null, confidence: 0, quick: 3, delta: null, basis: 'quick', contested: [], worlds: worlds(null, null, null, null), perspective_gap: null },
  { id: 'process', title: 'Commissioning process', score: 2.8, confidence: 0.667, quick: null, delta: null, basis: 'workshop', contested: [], worlds: worlds(2.5, 3.1, 2.8, 3), perspective_gap: 0.9995 },
  { id: 'models', title: 'Models and tactics', score: 5, confidence: 0.4, quick: 2, delta: 3, basis: 'workshop', contested: [], worlds: worlds(1, 2, 1.5, 1.2), perspective_gap: 0.999 }
]
const TITLES = Object.fromEntries(ASPECTS.map((a) => [a.id, a.title]))

test('Radar draws both series and a table of every aspect', () => {
  const tree = render(components.Radar({ aspects: ASPECTS }))
  assertAccessible(tree)
  const svg = all(tree, 'svg').find((s) => hasClass(s, 'chart-radar-svg'))
  assert.ok(svg, 'a radar is drawn for 8 aspects')
  assert.match(text(svg.children[0]), /8 aspects/)
  const areas = all([svg], 'polygon').filter((p) => /chart-area-/.test(p.props.class))
  assert.equal(areas.length, 2, 'workshop and quick polygons')
  const workshop = areas.find((p) => hasClass(p, 'chart-area-workshop'))
  const quick = areas.find((p) => hasClass(p, 'chart-area-quick'))
  assert.equal(workshop.props['stroke-dasharray'], undefined, 'workshop is solid')
  assert.ok(quick.props['stroke-dasharray'], 'quick is dashed')
  const points = workshop.props.points.split(' ')
  assert.equal(points.length, 8)
  // Models (axis 7, score 5) reaches the outer ring; policy (axis 5, null) is the centre.
  assert.equal(points[5], '280,205')
  const r2 = (v) => Math.round(v * 100) / 100
  assert.equal(points[7], `${r2(280 - 140 / Math.SQRT2)},${r2(205 - 140 / Math.SQRT2)}`)
  // Markers only where there is a score: 7 workshop, 7 quick.
  const markers = all([svg], 'path').filter((p) => /chart-marker-/.test(p.props.class))
  assert.equal(markers.filter((p) => hasClass(p, 'chart-marker-workshop')).length, 7)
  assert.equal(markers.filter((p) => hasClass(p, 'chart-marker-quick')).length, 7)
  // Each axis label carries the full title as its tooltip.
  const labels = all([svg], 'g').filter((g) => hasClass(g, 'chart-axis-label'))
  assert.equal(labels.length, 8)
  assert.equal(text(labels[1].children[0]), 'Relationships and organisation across the system')

  const table = all(tree, 'table')[0]
  const head = all([table], 'th').filter((th) => th.props.scope === 'col').map(text)
  assert.deepEqual(head, ['Aspect', 'Workshop score', 'Quick score', 'Difference', 'Confidence'])
  const rows = all(all([table], 'tbody')[0].children, 'tr')
  assert.equal(rows.length, 8)
  const cells = (row) => row.children.map(text)
  assert.deepEqual(cells(rows[0]), ['Whole system design', '3.67', '3.00', '+0.67', '100%'])
  assert.deepEqual(cells(rows[1]), ['Relationships and organisation across the system', '2.40', '3.00', '\u22120.60', '83%'])
  assert.deepEqual(cells(rows[5]), ['Managing the policy and compliance landscape', 'not scored', '3.00', '—no difference', '0%'])
  assert.deepEqual(cells(rows[6]).slice(1, 3), ['2.80', 'not scored'])
})

test('Radar with fewer than three aspects shows only the table', () => {
  const tree = render(components.Radar({ aspects: ASPECTS.slice(0, 2) }))
  assertAccessible(tree)
  assert.equal(all(tree, 'svg').length, 0)
  assert.equal(all(tree, 'table').length, 1)
  assert.equal(all(all(tree, 'tbody'), 'tr').length, 2)
  assert.match(text(render(components.Radar({ aspects: [] }))), /No aspects/)
})

test('Radar leaves out a series with no value at all', () => {
  const tree = render(components.Radar({ aspects: ASPECTS.slice(0, 3).map((a) => ({ ...a, quick: null })) }))
  assertAccessible(tree)
  const classes = all(tree, 'polygon').map((p) => p.props.class)
  assert.ok(classes.some((c) => c.includes('chart-area-workshop')))
  assert.ok(!classes.some((c) => c.includes('chart-area-quick')))
})

const APPROACHES = [
  { id: 'unlocking-potential', title: 'Unlocking potential', fit: 61.458, coverage: 1, rank: 1, limiting: 'capacity', strongest: 'user-outcome' },
  { id: 'citizen-centred', title: 'Citizen-centred commissioning', fit: 58.654, coverage: 0.923, rank: 2, limiting: 'relationships', strongest: 'user-outcome' },
  { id: 'place-wellbeing', title: 'Place-based wellbeing', fit: 50, coverage: 0.929, rank: 3, limiting: null, strongest: 'whole-system' },
  { id: 'strategic-procurement', title: 'Strategic procurement of services against needs', fit: 44.2, coverage: 0.7, rank: 4, limiting: 'models', strongest: 'process' },
  { id: 'market-management', title: null, fit: null, coverage: 0, rank: 5, limiting: null, strongest: null }
]

test('ApproachBars marks recommended, blend, selected, limiting and low coverage in text', () => {
  const tree = render(
    components.ApproachBars({
      approaches: APPROACHES,
      recommended: 'unlocking-potential',
      blend: ['citizen-centred'],
      selected: 'citizen-centred',
      aspectTitles: TITLES
    })
  )
  assertAccessible(tree)
  const list = all(tree, 'ol')[0]
  assert.ok(list.props['aria-label'], 'the list is named')
  const items = all([list], 'li')
  assert.equal(items.length, 5)
  const said = items.map(text)
  assert.match(said[0], /Unlocking potential/)
  assert.match(said[0], /Recommended/)
  assert.doesNotMatch(said[0], /Blend|Selected|Insufficient/)
  assert.match(said[0], /Fit 61\.5/)
  assert.match(said[0], /Limited by: Capacity, capability and confidence/)
  assert.match(said[0], /Strongest: User and outcome-centred/)
  assert.match(said[1], /Blend/)
  assert.match(said[1], /Selected/)
  assert.doesNotMatch(said[1], /Recommended/)
  assert.match(said[2], /Fit 50\.0/)
  assert.match(said[2], /No limiting aspect/)
  assert.match(said[3], /Insufficient data \(coverage 70%\)/)
  assert.match(said[4], /market-management/, 'a missing title falls back to the id')
  assert.match(said[4], /No fit yet/)
  assert.match(said[4], /Insufficient data \(coverage 0%\)/)
  // Bars are proportional to fit and marked for low coverage; they are hidden (the text says it all).
  const fills = all([list], 'rect').filter((r) => /chart-bar-fill/.test(r.props.class))
  assert.equal(fills.length, 4, 'no bar for an unknown fit')
  assert.ok(hasClass(fills[3], 'chart-bar-fill-low'))
  assert.ok(Math.abs(fills[2].props.width - 99) < 1e-9, 'fit 50 fills half of the 200 wide track')
  for (const svg of all([list], 'svg')) assert.equal(svg.props['aria-hidden'], 'true')
})

test('ApproachBars accepts a Map of titles and an empty list', () => {
  const tree = render(
    components.ApproachBars({
      approaches: APPROACHES.slice(0, 1),
      recommended: null,
      blend: [],
      selected: null,
      aspectTitles: new Map([['capacity', 'Capacity (map)']])
    })
  )
  assert.match(text(tree), /Limited by: Capacity \(map\)/)
  assert.match(text(tree), /Strongest: user-outcome/, 'an unknown aspect falls back to its id')
  assert.doesNotMatch(text(tree), /Recommended|Blend|Selected/)
  assert.match(text(render(components.ApproachBars({ approaches: [] }))), /No approaches/)
})

test('Worlds shows the four worlds, dot plots and flags gaps from 1.0', () => {
  const tree = render(components.Worlds({ aspects: ASPECTS }))
  assertAccessible(tree)
  const head = all(all(tree, 'thead'), 'th').map(text)
  assert.deepEqual(head, ['Aspect', 'Customer', 'Service', 'Management', 'Political', 'Spread (1 to 5)', 'Gap'])
  const rows = all(all(tree, 'tbody'), 'tr')
  assert.equal(rows.length, 8)
  const cells = (row) => row.children.filter((c) => !all([c], 'svg').length).map(text)
  assert.deepEqual(cells(rows[0]), ['Whole system design', '3.50', '4.00', '3.20', '—no score', '0.80'])
  assert.deepEqual(cells(rows[1]), ['Relationships and organisation across the system', '2.00', '3.25', '2.50', '2.50', '1.25Gap ≥ 1'])
  assert.equal(cells(rows[3]).at(-1), '1.00Gap ≥ 1', 'a gap of exactly 1 is flagged')
  assert.equal(cells(rows[5]).at(-1), '—no gap')
  assert.equal(cells(rows[6]).at(-1), '1.00Gap ≥ 1', '0.9995 is 1.000 in whole thousandths')
  assert.equal(cells(rows[7]).at(-1), '1.00', '0.999 is not flagged')
  const flagged = rows.filter((r) => r.props.class === 'chart-row-flagged').length
  assert.equal(flagged, 3)
  // One dot per known world, each world its own shape.
  const plot = (row) => all([row], 'svg').find((s) => hasClass(s, 'chart-dotplot'))
  const dots = (row) => all([plot(row)], 'path')
  assert.equal(dots(rows[0]).length, 3)
  assert.equal(dots(rows[5]).length, 0)
  const shapes = dots(rows[1]).map((p) => p.props.d[0] + p.props.d.replace(/[^A-Z]/g, ''))
  assert.equal(new Set(shapes).size, 4)
  assert.equal(text(plot(rows[1]).children[0]), 'World scores from 2.00 (customer) to 3.25 (service)')
  assert.equal(text(plot(rows[5]).children[0]), 'No world scores')
  assert.equal(text(plot(rows[4]).children[0]), 'Only service scored')
})

test('VoteDistribution counts votes into a named histogram', () => {
  const tree = render(components.VoteDistribution({ votes: [2, 3, 3, 5], min: 1, max: 5, label: 'Scores' }))
  assertAccessible(tree)
  const svg = tree[0]
  assert.equal(svg.type, 'svg')
  assert.equal(svg.props.role, 'img')
  assert.equal(svg.props['aria-label'], 'Scores: 1 ×0, 2 ×1, 3 ×2, 4 ×0, 5 ×1')
  assert.equal(Number(svg.props.width), 100)
  assert.equal(Number(svg.props.height), 28)
  const bars = all(tree, 'rect')
  assert.equal(bars.length, 3, 'a bar per value with votes')
  const tallest = bars.reduce((a, b) => (b.props.height > a.props.height ? b : a))
  assert.equal(tallest.props.height, 17, 'the most common value reaches the top')
  assert.equal(bars.find((b) => b !== tallest).props.height, 8.5)

  const weights = render(components.VoteDistribution({ votes: [0, 3, 3, 1], min: 0, max: 3, label: 'Weights' }))
  assert.equal(weights[0].props['aria-label'], 'Weights: 0 ×1, 1 ×1, 2 ×0, 3 ×2')
  const empty = render(components.VoteDistribution({ votes: [], min: 1, max: 5, label: 'Scores' }))
  assertAccessible(empty)
  assert.equal(empty[0].props['aria-label'], 'Scores: no votes')
  assert.equal(all(empty, 'rect').length, 0)
  const odd = render(components.VoteDistribution({ votes: [1, 7, 2.5], min: 1, max: 5, label: 'Scores' }))
  assert.equal(odd[0].props['aria-label'], 'Scores: 1 ×1, 2 ×0, 3 ×0, 4 ×0, 5 ×0 (2 not on the scale, not counted)')
})
