// A tiny histogram of participants' votes on one scale, sized to sit inline in a table
// cell; its accessible name spells out every count ("Scores: 1 ×0, 2 ×1, …").

import { histogram, round2 } from './geometry.js'

const SIZE = { width: 100, height: 28, gap: 2, base: 18, label: 26.5 }
/** Wider scales than this are not a vote scale of the method; they get text only. */
const MAX_BINS = 20

/** The accessible name of a distribution: "Scores: 1 ×0, 2 ×1, 3 ×2" or "Scores: no votes". */
export function voteSummary(label, { bins, total, ignored }) {
  const counts = total === 0 ? 'no votes' : bins.map((b) => `${b.value} ×${b.count}`).join(', ')
  const extra = ignored > 0 ? ` (${ignored} not on the scale, not counted)` : ''
  return `${label}: ${counts}${extra}`
}

/**
 * Counts of each value from `min` to `max` among `votes`.
 * @param {{ votes: number[], min: number, max: number, label: string }} props
 *   `votes`: one integer per participant (may be empty); `min`..`max`: the scale, e.g. 1..5
 *   for scores and 0..3 for weights; `label`: what is counted, e.g. "Scores".
 */
export function VoteDistribution({ votes, min = 1, max = 5, label = 'Votes' }) {
  const valid = Number.isInteger(min) && Number.isInteger(max) && max >= min && max - min < MAX_BINS
  if (!valid) return <span class="chart-votes-text">{`${label}: scale ${min} to ${max} cannot be charted`}</span>
  const counts = histogram(votes, min, max)
  const name = voteSummary(label, counts)
  const n = counts.bins.length
  const barWidth = (SIZE.width - (n - 1) * SIZE.gap) / n
  const most = Math.max(1, ...counts.bins.map((b) => b.count))
  return (
    <svg
      class="chart-votes"
      viewBox={`0 0 ${SIZE.width} ${SIZE.height}`}
      width={SIZE.width}
      height={SIZE.height}
      role="img"
      aria-label={name}
    >
      <title>{name}</title>
      <g aria-hidden="true">
        {counts.bins.map((b, i) => {
          const x = round2(i * (barWidth + SIZE.gap))
          const h = round2((b.count / most) * (SIZE.base - 1))
          return (
            <g key={b.value}>
              {b.count > 0 ? (
                <rect class="chart-votes-bar" x={x} y={round2(SIZE.base - h)} width={round2(barWidth)} height={h} />
              ) : null}
              <text class="chart-votes-value" x={round2(x + barWidth / 2)} y={SIZE.label} text-anchor="middle" font-size="9">
                {b.value}
              </text>
            </g>
          )
        })}
        <line class="chart-votes-base" x1="0" y1={SIZE.base + 0.5} x2={SIZE.width} y2={SIZE.base + 0.5} stroke="currentColor" />
      </g>
    </svg>
  )
}
