// Unit tests of the chart maths (web/src/charts/geometry.js), the figure formatting
// (format.js) and the default colours of charts.css. Run from the workspace root:
//   node --test web/test/
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'

import {
  clamp,
  dodge,
  extent,
  histogram,
  isKnown,
  markerPath,
  pointsAttr,
  radarAngle,
  radarLabel,
  radarPoint,
  radarPolygon,
  radarRings,
  round2,
  scaleLinear,
  wrapLabel
} from '../src/charts/geometry.js'
import { fixed, formatFit, formatPercent, formatScore, formatSigned } from '../src/charts/format.js'

const GEO = { cx: 100, cy: 100, radius: 50, max: 5 }

test('isKnown accepts finite numbers only', () => {
  assert.equal(isKnown(0), true)
  assert.equal(isKnown(3.667), true)
  for (const v of [null, undefined, NaN, Infinity, '3', true]) assert.equal(isKnown(v), false)
})

test('clamp and scaleLinear map and clamp', () => {
  assert.equal(clamp(7, 1, 5), 5)
  assert.equal(clamp(-1, 1, 5), 1)
  const x = scaleLinear([1, 5], [10, 110])
  assert.equal(x(1), 10)
  assert.equal(x(3), 60)
  assert.equal(x(5), 110)
  assert.equal(x(0), 10, 'below the domain clamps')
  assert.equal(x(9), 110, 'above the domain clamps')
  const down = scaleLinear([0, 100], [200, 0])
  assert.equal(down(25), 150)
  assert.equal(scaleLinear([2, 2], [0, 9])(2), 0, 'an empty domain maps onto r0')
})

test('round2 rounds and never gives negative zero', () => {
  assert.equal(round2(1.005 + 1e-9), 1.01)
  assert.equal(round2(2.344), 2.34)
  assert.ok(Object.is(round2(-0.001), 0))
})

test('radar axes start at the top and go clockwise', () => {
  assert.equal(radarAngle(0, 8), -Math.PI / 2)
  assert.equal(radarAngle(2, 8), 0)
  assert.equal(radarAngle(4, 8), Math.PI / 2)
})

test('radarPoint puts known values at value/max of the radius', () => {
  // Axis 0 points up: y decreases with the score.
  assert.deepEqual(radarPoint(0, 8, 5, GEO), { x: 100, y: 50 })
  assert.deepEqual(radarPoint(0, 8, 1, GEO), { x: 100, y: 90 })
  // Axis 2 of 8 points right, axis 4 down, axis 6 left.
  assert.deepEqual(radarPoint(2, 8, 3, GEO), { x: 130, y: 100 })
  assert.deepEqual(radarPoint(4, 8, 2.5, GEO), { x: 100, y: 125 })
  assert.deepEqual(radarPoint(6, 8, 4, GEO), { x: 60, y: 100 })
  // Axis 1 is at 45 degrees: both offsets are r / sqrt(2).
  const p = radarPoint(1, 8, 5, GEO)
  assert.equal(p.x, round2(100 + 50 / Math.SQRT2))
  assert.equal(p.y, round2(100 - 50 / Math.SQRT2))
})

test('radarPoint puts unknown values at the centre, apart from a 1', () => {
  for (const v of [null, undefined, NaN, 'x']) {
    assert.deepEqual(radarPoint(3, 8, v, GEO), { x: 100, y: 100 })
  }
  assert.notDeepEqual(radarPoint(3, 8, 1, GEO), { x: 100, y: 100 })
  assert.deepEqual(radarPoint(0, 8, 9, GEO), { x: 100, y: 50 }, 'out of range clamps to max')
})

test('radarPolygon gives one point per value and pointsAttr formats them', () => {
  const pts = radarPolygon([5, null, 5, 5], GEO)
  assert.deepEqual(pts, [
    { x: 100, y: 50 },
    { x: 100, y: 100 },
    { x: 100, y: 150 },
    { x: 50, y: 100 }
  ])
  assert.equal(pointsAttr(pts), '100,50 100,100 100,150 50,100')
})

test('radarRings draws one regular polygon per level', () => {
  const rings = radarRings([1, 5], 4, GEO)
  assert.equal(rings.length, 2)
  assert.equal(rings[0].level, 1)
  assert.deepEqual(rings[0].points[0], { x: 100, y: 90 })
  assert.deepEqual(rings[1].points[1], { x: 150, y: 100 })
  assert.equal(rings[1].points.length, 4)
})

test('wrapLabel breaks at spaces and ends overflow with an ellipsis', () => {
  assert.deepEqual(wrapLabel('Whole system design', 18, 3), ['Whole system', 'design'])
  assert.deepEqual(wrapLabel('Relationships and organisation across the system', 18, 3), [
    'Relationships and',
    'organisation',
    'across the system'
  ])
  assert.deepEqual(wrapLabel('Managing the policy and compliance landscape', 18, 3), [
    'Managing the',
    'policy and',
    'compliance…'
  ])
  assert.deepEqual(wrapLabel('Models and tactics', 18, 3), ['Models and tactics'])
  assert.deepEqual(wrapLabel('aaaa bbbb cccc', 9, 1), ['aaaa…'])
  assert.deepEqual(wrapLabel('abcdefghijkl', 6, 2), ['abcde…'])
  assert.deepEqual(wrapLabel('', 10, 2), [])
  assert.deepEqual(wrapLabel(null, 10, 2), [])
  for (const line of wrapLabel('Capacity, capability and confidence and more words here', 12, 2)) {
    assert.ok(line.length <= 12, line)
  }
})

test('radarLabel anchors away from the centre and stacks lines outwards', () => {
  const opts = { ...GEO, gap: 10, lineHeight: 10 }
  const top = radarLabel(0, 4, ['a', 'b'], opts)
  assert.equal(top.anchor, 'middle')
  // Above the chart the last baseline sits on the label point (y = 100 - 60 = 40).
  assert.deepEqual(top.lines.map((l) => l.y), [30, 40])
  assert.equal(top.lines[0].x, 100)
  const right = radarLabel(1, 4, ['a'], opts)
  assert.equal(right.anchor, 'start')
  assert.equal(right.lines[0].x, 160)
  // Beside the chart the lines are centred on the point (baseline 0.35 of a line lower).
  assert.equal(right.lines[0].y, 103.5)
  const bottom = radarLabel(2, 4, ['a', 'b'], opts)
  assert.equal(bottom.anchor, 'middle')
  // Below the chart the first line starts at the point (y = 160).
  assert.deepEqual(bottom.lines.map((l) => l.y), [167, 177])
  const left = radarLabel(3, 4, ['a', 'b', 'c'], opts)
  assert.equal(left.anchor, 'end')
  assert.deepEqual(left.lines.map((l) => l.y), [93.5, 103.5, 113.5])
})

test('histogram counts integer votes per value and ignores the rest', () => {
  assert.deepEqual(histogram([2, 3, 3, 5], 1, 5), {
    bins: [
      { value: 1, count: 0 },
      { value: 2, count: 1 },
      { value: 3, count: 2 },
      { value: 4, count: 0 },
      { value: 5, count: 1 }
    ],
    total: 4,
    ignored: 0
  })
  const weights = histogram([0, 3, 3, 1.5, 4, -1, null, '2', 2.0], 0, 3)
  assert.deepEqual(weights.bins.map((b) => b.count), [1, 0, 1, 2])
  assert.equal(weights.total, 4)
  assert.equal(weights.ignored, 5)
  const empty = histogram([], 1, 5)
  assert.equal(empty.total, 0)
  assert.deepEqual(empty.bins.map((b) => b.count), [0, 0, 0, 0, 0])
  assert.equal(histogram(undefined, 0, 3).bins.length, 4)
})

test('dodge separates close dots and leaves distant ones on the line', () => {
  assert.deepEqual(dodge([10, 50, 90], 8), [0, 0, 0])
  assert.deepEqual(dodge([10, 10, 10, 10], 8), [0, -1, 1, -2])
  assert.deepEqual(dodge([10, 14, 30], 8), [0, -1, 0])
  assert.deepEqual(dodge([null, 10, 12], 8), [null, 0, -1])
})

test('extent gives the lowest and highest known value', () => {
  assert.deepEqual(extent([3.5, null, 2, 4]), [2, 4])
  assert.equal(extent([null, undefined]), null)
})

test('markerPath draws each shape around its centre', () => {
  assert.equal(markerPath('diamond', 10, 10, 8), 'M10 6L14 10L10 14L6 10Z')
  assert.equal(markerPath('triangle', 10, 10, 10), 'M10 5L15 14L5 14Z')
  assert.equal(markerPath('square', 10, 10, 10), 'M5.75 5.75H14.25V14.25H5.75Z')
  assert.match(markerPath('circle', 10, 10, 8), /^M6 10A4 4 0 1 0 14 10A4 4 0 1 0 6 10Z$/)
  // The four world shapes are all different.
  const shapes = ['circle', 'square', 'triangle', 'diamond'].map((s) => markerPath(s, 0, 0, 10))
  assert.equal(new Set(shapes).size, 4)
})

test('fixed rounds half away from zero on whole thousandths', () => {
  assert.equal(fixed(3.665, 2), '3.67')
  assert.equal(fixed(2.675, 2), '2.68')
  assert.equal(fixed(-0.005, 2), '\u22120.01')
  assert.equal(fixed(-0.004, 2), '0.00')
  assert.equal(fixed(4, 2), '4.00')
  assert.equal(fixed(61.458, 1), '61.5')
  assert.equal(fixed(99.95, 1), '100.0')
  assert.equal(fixed(0.667, 3), '0.667')
  assert.equal(fixed(null, 2), null)
})

test('formatters print the figures of the tables', () => {
  assert.equal(formatScore(3.667), '3.67')
  assert.equal(formatScore(null), 'not scored')
  assert.equal(formatSigned(0.667), '+0.67')
  assert.equal(formatSigned(-0.6), '\u22120.60')
  assert.equal(formatSigned(0), '0.00')
  assert.equal(formatSigned(null), '—')
  assert.equal(formatPercent(0.833), '83%')
  assert.equal(formatPercent(0.005), '1%')
  assert.equal(formatPercent(1), '100%')
  assert.equal(formatPercent(0), '0%')
  assert.equal(formatPercent(null), '—')
  assert.equal(formatFit(52.083), '52.1')
  assert.equal(formatFit(null), 'no fit')
})

// WCAG 2.2 relative luminance and contrast ratio of two #rrggbb colours.
function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
  const lin = (c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}
function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi + 0.05) / (lo + 0.05)
}

test('the default colours of charts.css meet WCAG 2.2 AA contrast', () => {
  const css = readFileSync(new URL('../src/charts/charts.css', import.meta.url), 'utf8')
  const vars = Object.fromEntries(
    [...css.matchAll(/(--chart-[a-z-]+):\s*(#[0-9a-f]{6})\s*;/gi)].map((m) => [m[1], m[2]])
  )
  const text = 4.5
  const mark = 3
  const pairs = [
    // text on its background
    ['--chart-text', '--chart-bg', text],
    ['--chart-muted', '--chart-bg', text],
    ['--chart-badge-recommended-text', '--chart-badge-recommended-bg', text],
    ['--chart-badge-blend-text', '--chart-badge-blend-bg', text],
    ['--chart-low-text', '--chart-low-bg', text],
    ['--chart-flag', '--chart-flag-bg', text],
    ['--chart-flag', '--chart-bg', text],
    // graphical marks against the background (and bars against their track)
    ['--chart-grid', '--chart-bg', mark],
    ['--chart-workshop', '--chart-bg', mark],
    ['--chart-quick', '--chart-bg', mark],
    ['--chart-world-customer', '--chart-bg', mark],
    ['--chart-world-service', '--chart-bg', mark],
    ['--chart-world-management', '--chart-bg', mark],
    ['--chart-world-political', '--chart-bg', mark],
    ['--chart-bar', '--chart-bg', mark],
    ['--chart-bar', '--chart-bar-track', mark],
    ['--chart-bar-blend', '--chart-bar-track', mark],
    ['--chart-bar-recommended', '--chart-bar-track', mark],
    ['--chart-vote', '--chart-bg', mark],
    ['--chart-badge-recommended-bg', '--chart-bg', mark]
  ]
  for (const [fg, bg, min] of pairs) {
    assert.ok(vars[fg] && vars[bg], `${fg} and ${bg} have #rrggbb defaults`)
    const ratio = contrast(vars[fg], vars[bg])
    assert.ok(ratio >= min, `${fg} on ${bg}: ${ratio.toFixed(2)} < ${min}`)
  }
})

test('charts.css only uses chart- class names', () => {
  const css = readFileSync(new URL('../src/charts/charts.css', import.meta.url), 'utf8')
  const classes = [...css.replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/\.([a-z][a-z0-9-]*)/gi)].map((m) => m[1])
  assert.ok(classes.length > 0)
  for (const name of classes) assert.match(name, /^chart-/)
})
