// The four-worlds perspective: each aspect's score as seen by the customer, service,
// management and political worlds, a small dot plot of the four on the 1..5 scale (each
// world its own shape as well as colour) and the perspective gap, flagged from 1.0.

import { fixed, formatScore } from './format.js'
import { Missing, TableScroll } from './parts.jsx'
import { dodge, extent, isKnown, markerPath, round2, scaleLinear } from './geometry.js'

/** The worlds in the order of DOMAIN.md, with the marker shape that stands for each. */
export const WORLDS = [
  { key: 'customer', label: 'Customer', shape: 'circle' },
  { key: 'service', label: 'Service', shape: 'square' },
  { key: 'management', label: 'Management', shape: 'triangle' },
  { key: 'political', label: 'Political', shape: 'diamond' }
]

/** A perspective gap of at least this is flagged (DOMAIN.md 5: perspective_gap warning). */
export const GAP_FLAG = 1

/** Compared on whole thousandths, as the engine compares (DOMAIN.md 5.1, rule 2). */
export function gapFlagged(gap) {
  return isKnown(gap) && Math.round(gap * 1000) >= GAP_FLAG * 1000
}

const PLOT = { width: 132, height: 36, pad: 9, marker: 11, spacing: 8 }
const plotX = scaleLinear([1, 5], [PLOT.pad, PLOT.width - PLOT.pad])

function WorldKey({ world, shape }) {
  return (
    <svg class={`chart-key chart-world-${world}`} viewBox="0 0 14 14" width="14" height="14" aria-hidden="true" focusable="false">
      <path class="chart-world-marker" d={markerPath(shape, 7, 7, 12)} />
    </svg>
  )
}

function DotPlot({ aspect }) {
  const worlds = aspect.worlds ?? {}
  const values = WORLDS.map((w) => (isKnown(worlds[w.key]) ? worlds[w.key] : null))
  const xs = values.map((v) => (v === null ? null : plotX(v)))
  const levels = dodge(xs, PLOT.marker)
  const range = extent(values)
  const mid = PLOT.height / 2
  const known = WORLDS.filter((_, i) => values[i] !== null)
  let name
  if (known.length === 0) name = 'No world scores'
  else if (known.length === 1) name = `Only ${known[0].label.toLowerCase()} scored`
  else {
    const hi = WORLDS.filter((_, i) => values[i] === range[1]).map((w) => w.label.toLowerCase())
    const lo = WORLDS.filter((_, i) => values[i] === range[0]).map((w) => w.label.toLowerCase())
    name = `World scores from ${formatScore(range[0])} (${lo.join(', ')}) to ${formatScore(range[1])} (${hi.join(', ')})`
  }
  return (
    <svg
      class="chart-dotplot"
      viewBox={`0 0 ${PLOT.width} ${PLOT.height}`}
      width={PLOT.width}
      height={PLOT.height}
      role="img"
    >
      <title>{name}</title>
      <g aria-hidden="true">
        <line class="chart-dotplot-axis" x1={PLOT.pad} y1={mid} x2={PLOT.width - PLOT.pad} y2={mid} stroke="currentColor" />
        {[1, 2, 3, 4, 5].map((v) => (
          <line key={v} class="chart-dotplot-tick" x1={round2(plotX(v))} y1={mid - 3} x2={round2(plotX(v))} y2={mid + 3} stroke="currentColor" />
        ))}
        {range && range[1] > range[0] ? (
          <line
            class={gapFlagged(aspect.perspective_gap) ? 'chart-dotplot-range chart-dotplot-range-flagged' : 'chart-dotplot-range'}
            x1={round2(plotX(range[0]))}
            y1={mid}
            x2={round2(plotX(range[1]))}
            y2={mid}
            stroke="currentColor"
            stroke-width="3"
          />
        ) : null}
        {WORLDS.map((w, i) =>
          xs[i] === null ? null : (
            <path
              key={w.key}
              class={`chart-world-marker chart-world-${w.key}`}
              d={markerPath(w.shape, xs[i], mid + levels[i] * PLOT.spacing, PLOT.marker)}
            />
          )
        )}
      </g>
    </svg>
  )
}

/**
 * The four-worlds table.
 * @param {{ aspects: Array<{ id: string, title: string|null,
 *   worlds: { customer: number|null, service: number|null, management: number|null,
 *     political: number|null }, perspective_gap: number|null }> }} props
 *   `aspects` is `results.aspects`, in aspect order.
 */
export function Worlds({ aspects }) {
  const list = Array.isArray(aspects) ? aspects : []
  if (list.length === 0) {
    return <p class="chart-empty">No aspects to compare yet.</p>
  }
  return (
    <div class="chart-worlds">
      <p class="chart-note">
        Each aspect scored (1 to 5) from the votes of each world's participants; the gap is the
        highest world score minus the lowest, flagged from 1.
      </p>
      <TableScroll label="Four worlds table">
        <table class="chart-table chart-worlds-table">
          <caption>Four worlds: aspect scores by world</caption>
          <thead>
            <tr>
              <th scope="col">Aspect</th>
              {WORLDS.map((w) => (
                <th key={w.key} scope="col">
                  <span class="chart-world-head">
                    <WorldKey world={w.key} shape={w.shape} />
                    <span class="chart-world-name">{w.label}</span>
                  </span>
                </th>
              ))}
              <th scope="col">Spread (1 to 5)</th>
              <th scope="col">Gap</th>
            </tr>
          </thead>
          <tbody>
            {list.map((aspect) => {
              const flagged = gapFlagged(aspect.perspective_gap)
              const worlds = aspect.worlds ?? {}
              return (
                <tr key={aspect.id} class={flagged ? 'chart-row-flagged' : undefined}>
                  <th scope="row">{aspect.title ?? aspect.id}</th>
                  {WORLDS.map((w) => (
                    <td key={w.key} class="chart-num">
                      {isKnown(worlds[w.key]) ? formatScore(worlds[w.key]) : <Missing label="no score" />}
                    </td>
                  ))}
                  <td class="chart-dotplot-cell">
                    <DotPlot aspect={aspect} />
                  </td>
                  <td class="chart-num chart-gap">
                    {isKnown(aspect.perspective_gap) ? fixed(aspect.perspective_gap, 2) : <Missing label="no gap" />}
                    {flagged ? <span class="chart-badge chart-badge-flag">Gap ≥ 1</span> : null}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </TableScroll>
    </div>
  )
}
