// The pure maths behind the chart components: scales, radar polygons and label layout,
// histogram counts, dot-plot dodging and marker shapes. No DOM and no Preact here, so
// `node --test web/test/` checks every figure the charts draw.

/** True for a finite number: the results use `null` for "not known". */
export function isKnown(value) {
  return typeof value === 'number' && Number.isFinite(value)
}

/** `value` limited to `lo..hi`. */
export function clamp(value, lo, hi) {
  return Math.min(hi, Math.max(lo, value))
}

/**
 * A linear scale from `domain` [d0, d1] onto `range` [r0, r1]; values outside the domain
 * are clamped, so a stray figure never draws outside the chart. A zero-width domain maps
 * everything onto r0.
 */
export function scaleLinear([d0, d1], [r0, r1]) {
  const span = d1 - d0
  const lo = Math.min(d0, d1)
  const hi = Math.max(d0, d1)
  return (value) => {
    if (span === 0) return r0
    return r0 + ((clamp(value, lo, hi) - d0) / span) * (r1 - r0)
  }
}

/** Rounds to 2 decimals for SVG attributes, and never prints "-0". */
export function round2(value) {
  const r = Math.round(value * 100) / 100
  return r === 0 ? 0 : r
}

/** Angle in radians of axis `i` of `n`: the first axis points straight up, then clockwise. */
export function radarAngle(i, n) {
  return -Math.PI / 2 + (2 * Math.PI * i) / n
}

/**
 * Where `value` sits on axis `i` of `n`. The radius is value / max of `radius`, so on the
 * 1..5 score scale ring 1 is the innermost ring and the centre means "not scored": a
 * `null` (or non-numeric) value is placed at the centre, never confused with a 1.
 */
export function radarPoint(i, n, value, { cx, cy, radius, max = 5 }) {
  const r = isKnown(value) ? (clamp(value, 0, max) / max) * radius : 0
  const a = radarAngle(i, n)
  return { x: round2(cx + r * Math.cos(a)), y: round2(cy + r * Math.sin(a)) }
}

/** The polygon of `values` (one per axis, `null` allowed) on a radar. */
export function radarPolygon(values, geometry) {
  return values.map((value, i) => radarPoint(i, values.length, value, geometry))
}

/** Points as the value of an SVG `points` attribute: "x,y x,y …". */
export function pointsAttr(points) {
  return points.map(({ x, y }) => `${x},${y}`).join(' ')
}

/** One ring polygon per level (e.g. 1..5) of a radar with `n` axes. */
export function radarRings(levels, n, geometry) {
  return levels.map((level) => ({
    level,
    points: radarPolygon(Array.from({ length: n }, () => level), geometry)
  }))
}

/**
 * Splits a title into at most `maxLines` lines of at most `maxChars` characters, breaking
 * at spaces; what does not fit ends the last line with "…". A single word longer than a
 * line is cut. Returns `[]` for an empty title.
 */
export function wrapLabel(text, maxChars, maxLines) {
  const words = String(text ?? '').trim().split(/\s+/).filter(Boolean)
  const lines = []
  let i = 0
  while (i < words.length && lines.length < maxLines) {
    let line = words[i]
    i += 1
    while (i < words.length && line.length + 1 + words[i].length <= maxChars) {
      line += ' ' + words[i]
      i += 1
    }
    lines.push(line.length > maxChars ? line.slice(0, maxChars - 1) + '…' : line)
  }
  if (i < words.length && lines.length > 0) {
    let last = lines[lines.length - 1]
    if (!last.endsWith('…')) {
      // Make room for the ellipsis by dropping the last word, or cutting a lone one.
      if (last.length + 1 > maxChars) {
        const space = last.lastIndexOf(' ')
        last = space > 0 ? last.slice(0, space) : last.slice(0, maxChars - 1)
      }
      lines[lines.length - 1] = last + '…'
    }
  }
  return lines
}

/**
 * Where the label lines of axis `i` of `n` go: just outside the outer ring, anchored away
 * from the centre (start on the right, end on the left, middle at the top and bottom), and
 * stacked upwards above the chart, downwards below it and centred at the sides.
 * Returns `{ anchor, lines: [{ text, x, y }] }`, each y being a text baseline.
 */
export function radarLabel(i, n, lines, { cx, cy, radius, gap = 12, lineHeight = 14 }) {
  const a = radarAngle(i, n)
  const cos = Math.cos(a)
  const sin = Math.sin(a)
  const x = round2(cx + (radius + gap) * cos)
  const y = cy + (radius + gap) * sin
  const anchor = cos > 0.3 ? 'start' : cos < -0.3 ? 'end' : 'middle'
  // A baseline sits about 0.35 of a line below the middle of the text.
  const half = lineHeight * 0.35
  const count = lines.length
  let first
  if (sin < -0.3) first = y - (count - 1) * lineHeight // above: the last line ends at y
  else if (sin > 0.3) first = y + 2 * half // below: the first line starts at y
  else first = y - ((count - 1) * lineHeight) / 2 + half // beside: centred on y
  return {
    anchor,
    lines: lines.map((text, k) => ({ text, x, y: round2(first + k * lineHeight) }))
  }
}

/**
 * Counts of each integer value from `min` to `max` in `votes`. Anything else (floats,
 * values out of range, non-numbers) is left out and counted in `ignored`.
 * Returns `{ bins: [{ value, count }], total, ignored }`.
 */
export function histogram(votes, min, max) {
  const bins = []
  for (let v = min; v <= max; v += 1) bins.push({ value: v, count: 0 })
  let total = 0
  let ignored = 0
  for (const vote of Array.isArray(votes) ? votes : []) {
    if (Number.isInteger(vote) && vote >= min && vote <= max) {
      bins[vote - min].count += 1
      total += 1
    } else {
      ignored += 1
    }
  }
  return { bins, total, ignored }
}

/**
 * Vertical levels for dots on one line so that dots closer than `minDistance` do not hide
 * each other: each dot, in the given order, takes the first free level of 0, -1, 1, -2, 2, …
 * Returns one integer level per x (`null` x gives `null`).
 */
export function dodge(xs, minDistance) {
  const placed = []
  return xs.map((x) => {
    if (!isKnown(x)) return null
    for (let step = 0; ; step += 1) {
      const level = step === 0 ? 0 : step % 2 === 1 ? -(step + 1) / 2 : step / 2
      const clash = placed.some((p) => p.level === level && Math.abs(p.x - x) < minDistance)
      if (!clash) {
        placed.push({ x, level })
        return level
      }
    }
  })
}

/** Lowest and highest of the known values, or `null` when there are none. */
export function extent(values) {
  const known = values.filter(isKnown)
  if (known.length === 0) return null
  return [Math.min(...known), Math.max(...known)]
}

/**
 * The SVG path of a marker centred on (x, y) with overall size `size`: `circle`,
 * `square`, `triangle` (pointing up) or `diamond`. Shapes carry meaning alongside colour.
 */
export function markerPath(shape, x, y, size) {
  const h = size / 2
  const p = (px, py) => `${round2(px)} ${round2(py)}`
  switch (shape) {
    case 'square': {
      const s = h * 0.85
      return `M${p(x - s, y - s)}H${round2(x + s)}V${round2(y + s)}H${round2(x - s)}Z`
    }
    case 'triangle':
      return `M${p(x, y - h)}L${p(x + h, y + h * 0.8)}L${p(x - h, y + h * 0.8)}Z`
    case 'diamond':
      return `M${p(x, y - h)}L${p(x + h, y)}L${p(x, y + h)}L${p(x - h, y)}Z`
    default:
      return `M${p(x - h, y)}A${round2(h)} ${round2(h)} 0 1 0 ${p(x + h, y)}A${round2(h)} ${round2(h)} 0 1 0 ${p(x - h, y)}Z`
  }
}
