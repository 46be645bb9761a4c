// The approaches ranked by fit as an ordered list whose items carry all their figures as
// text (rank, title, badges, fit, limiting and strongest aspect, insufficient data); the
// bar in each item only repeats the printed fit, so it is hidden from assistive technology.

import { formatFit, formatPercent } from './format.js'
import { isKnown, scaleLinear } from './geometry.js'

/** Coverage below this makes a fit rest on too little data (DOMAIN.md 5: recommended). */
export const MIN_COVERAGE = 0.75

const BAR = { width: 200, height: 14 }
const barScale = scaleLinear([0, 100], [0, BAR.width])

function lookup(titles, id) {
  if (id == null) return null
  const title = titles instanceof Map ? titles.get(id) : titles?.[id]
  return title ?? id
}

function Bar({ fit, low }) {
  const width = isKnown(fit) ? barScale(fit) : 0
  return (
    <svg
      class="chart-bar"
      viewBox={`0 0 ${BAR.width} ${BAR.height}`}
      preserveAspectRatio="none"
      aria-hidden="true"
      focusable="false"
    >
      <rect class="chart-bar-track" x="0" y="0" width={BAR.width} height={BAR.height} />
      {[25, 50, 75].map((t) => (
        <line key={t} class="chart-bar-tick" x1={barScale(t)} y1="0" x2={barScale(t)} y2={BAR.height} vector-effect="non-scaling-stroke" />
      ))}
      {width > 0 ? (
        <rect
          class={low ? 'chart-bar-fill chart-bar-fill-low' : 'chart-bar-fill'}
          x="0.5"
          y="0.5"
          width={Math.max(width - 1, 1)}
          height={BAR.height - 1}
          vector-effect="non-scaling-stroke"
        />
      ) : null}
    </svg>
  )
}

/**
 * The ranked approaches.
 * @param {{
 *   approaches: Array<{ id: string, title: string|null, fit: number|null, coverage: number,
 *     rank: number, limiting: string|null, strongest: string|null }>,
 *   recommended: string|null,
 *   blend: string[],
 *   selected: string|null,
 *   aspectTitles: Record<string, string>|Map<string, string>
 * }} props  `results.approaches` (in ranking order), `results.recommended`,
 *   `results.blend`, `results.selected`, and aspect id → title for the aspect names.
 */
export function ApproachBars({ approaches, recommended, blend, selected, aspectTitles }) {
  const list = Array.isArray(approaches) ? approaches : []
  const blendSet = new Set(Array.isArray(blend) ? blend : [])
  if (list.length === 0) {
    return <p class="chart-empty">No approaches to rank yet.</p>
  }
  return (
    <div class="chart-approaches">
      <p class="chart-approaches-scale chart-muted">
        Fit to this place, 0 to 100; the recommendation needs at least {formatPercent(MIN_COVERAGE)} of the relevant aspects scored.
      </p>
      <ol class="chart-bars" aria-label="Commissioning approaches ranked by fit, 0 to 100">
        {list.map((a, i) => {
          const low = !(isKnown(a.coverage) && a.coverage >= MIN_COVERAGE)
          const isRecommended = a.id === recommended
          const isBlend = blendSet.has(a.id)
          const isSelected = a.id === selected
          const classes = ['chart-bar-row']
          if (isRecommended) classes.push('chart-bar-row-recommended')
          else if (isBlend) classes.push('chart-bar-row-blend')
          if (isSelected) classes.push('chart-bar-row-selected')
          if (low) classes.push('chart-bar-row-low')
          const limiting = lookup(aspectTitles, a.limiting)
          const strongest = lookup(aspectTitles, a.strongest)
          return (
            <li key={a.id} class={classes.join(' ')}>
              <span class="chart-bar-rank" aria-hidden="true">
                {isKnown(a.rank) ? a.rank : i + 1}
              </span>
              <div class="chart-bar-head">
                <span class="chart-bar-title">{a.title ?? a.id}</span>
                {isRecommended ? <span class="chart-badge chart-badge-recommended">Recommended</span> : null}
                {isBlend ? <span class="chart-badge chart-badge-blend">Blend</span> : null}
                {isSelected ? <span class="chart-badge chart-badge-selected">Selected</span> : null}
              </div>
              <div class="chart-bar-body">
                <Bar fit={a.fit} low={low} />
                <span class="chart-bar-value">
                  {isKnown(a.fit) ? `Fit ${formatFit(a.fit)}` : 'No fit yet'}
                </span>
              </div>
              <p class="chart-bar-notes">
                {low ? (
                  <span class="chart-badge chart-badge-low">
                    Insufficient data (coverage {formatPercent(a.coverage)})
                  </span>
                ) : null}
                {isKnown(a.fit) ? (
                  <span class="chart-bar-note">{limiting ? `Limited by: ${limiting}` : 'No limiting aspect'}</span>
                ) : null}
                {strongest ? <span class="chart-bar-note">Strongest: {strongest}</span> : null}
              </p>
            </li>
          )
        })}
      </ol>
    </div>
  )
}
