// Radar of the aspect scores: the workshop score (solid line, round markers) against the
// commissioners' quick score (dashed line, square markers) on rings 1..5, with the same
// figures in a table beside it. Fewer than three aspects make no radar, only the table.

import { formatPercent, formatScore, formatSigned } from './format.js'
import { Missing, TableScroll } from './parts.jsx'
import {
  isKnown,
  markerPath,
  pointsAttr,
  radarLabel,
  radarPoint,
  radarPolygon,
  radarRings,
  wrapLabel
} from './geometry.js'

const WIDTH = 560
const HEIGHT = 410
const GEOMETRY = { cx: WIDTH / 2, cy: HEIGHT / 2, radius: 140, max: 5 }
const LEVELS = [1, 2, 3, 4, 5]
const LABEL = { maxChars: 18, maxLines: 3, gap: 14, lineHeight: 15 }

const titleOf = (aspect) => aspect.title ?? aspect.id

/** A legend key: a short line in the series' stroke with its marker, for the HTML legend. */
function LegendKey({ series, shape }) {
  return (
    <svg class="chart-key" viewBox="0 0 32 12" width="32" height="12" aria-hidden="true" focusable="false">
      <line class={`chart-line chart-line-${series}`} x1="2" y1="6" x2="30" y2="6" fill="none" stroke="currentColor" stroke-width="2.5" stroke-dasharray={series === 'quick' ? '6 4' : undefined} />
      <path class={`chart-marker chart-marker-${series}`} d={markerPath(shape, 16, 6, 8)} stroke="currentColor" stroke-width="1.5" />
    </svg>
  )
}

/** One series (workshop or quick) as a polygon with a marker on each scored axis. */
function Series({ values, series, shape, dashed }) {
  if (!values.some(isKnown)) return null
  const points = radarPolygon(values, GEOMETRY)
  return (
    <g class={`chart-series chart-series-${series}`}>
      <polygon
        class={`chart-area chart-area-${series}`}
        points={pointsAttr(points)}
        fill="none"
        stroke="currentColor"
        stroke-width="2.5"
        stroke-linejoin="round"
        stroke-dasharray={dashed ? '7 5' : undefined}
      />
      {points.map((p, i) =>
        isKnown(values[i]) ? (
          <path
            key={i}
            class={`chart-marker chart-marker-${series}`}
            d={markerPath(shape, p.x, p.y, 9)}
            stroke="currentColor"
            stroke-width="1.5"
          />
        ) : null
      )}
    </g>
  )
}

function RadarSvg({ aspects }) {
  const n = aspects.length
  const workshop = aspects.map((a) => (isKnown(a.score) ? a.score : null))
  const quick = aspects.map((a) => (isKnown(a.quick) ? a.quick : null))
  const outer = radarPolygon(Array.from({ length: n }, () => GEOMETRY.max), GEOMETRY)
  const describe = (values) =>
    aspects.map((a, i) => `${titleOf(a)} ${formatScore(values[i])}`).join('; ')
  return (
    <svg
      class="chart-radar-svg"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      width={WIDTH}
      height={HEIGHT}
      role="img"
    >
      <title>{`Radar of ${n} aspects on a 1 to 5 scale: workshop score and quick score`}</title>
      <desc>{`Workshop score: ${describe(workshop)}. Quick score: ${describe(quick)}.`}</desc>
      <g class="chart-grid" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="1">
        {radarRings(LEVELS, n, GEOMETRY).map((ring) => (
          <polygon key={ring.level} class="chart-ring" points={pointsAttr(ring.points)} />
        ))}
        {outer.map((p, i) => (
          <line key={i} class="chart-spoke" x1={GEOMETRY.cx} y1={GEOMETRY.cy} x2={p.x} y2={p.y} />
        ))}
      </g>
      <g class="chart-ring-labels" aria-hidden="true" text-anchor="middle" font-size="11">
        {LEVELS.map((level) => {
          // Printed just left of the first (upward) axis, halfway between rings.
          const { y } = radarPoint(0, n, level, GEOMETRY)
          return (
            <text key={level} class="chart-ring-label" x={GEOMETRY.cx - 9} y={y + 4}>
              {level}
            </text>
          )
        })}
      </g>
      <Series values={quick} series="quick" shape="square" dashed />
      <Series values={workshop} series="workshop" shape="circle" />
      <g class="chart-axis-labels" font-size="13">
        {aspects.map((aspect, i) => {
          const title = titleOf(aspect)
          const label = radarLabel(i, n, wrapLabel(title, LABEL.maxChars, LABEL.maxLines), {
            ...GEOMETRY,
            gap: LABEL.gap,
            lineHeight: LABEL.lineHeight
          })
          return (
            <g key={aspect.id} class="chart-axis-label">
              <title>{title}</title>
              <text text-anchor={label.anchor}>
                {label.lines.map((line, k) => (
                  <tspan key={k} x={line.x} y={line.y}>
                    {line.text}
                  </tspan>
                ))}
              </text>
            </g>
          )
        })}
      </g>
    </svg>
  )
}

function RadarTable({ aspects }) {
  return (
    <div class="chart-radar-data">
      <p class="chart-note">Scores: 1 = major area for development, 3 = adequate, 5 = real strength.</p>
      <TableScroll label="Aspect scores table">
        <table class="chart-table chart-radar-table">
          <caption>Aspect scores, workshop and quick</caption>
          <thead>
            <tr>
              <th scope="col">Aspect</th>
              <th scope="col">Workshop score</th>
              <th scope="col">Quick score</th>
              <th scope="col">Difference</th>
              <th scope="col">Confidence</th>
            </tr>
          </thead>
          <tbody>
            {aspects.map((aspect) => (
              <tr key={aspect.id}>
                <th scope="row">{titleOf(aspect)}</th>
                <td class={isKnown(aspect.score) ? 'chart-num' : 'chart-num chart-missing'}>{formatScore(aspect.score)}</td>
                <td class={isKnown(aspect.quick) ? 'chart-num' : 'chart-num chart-missing'}>{formatScore(aspect.quick)}</td>
                <td class="chart-num">{isKnown(aspect.delta) ? formatSigned(aspect.delta) : <Missing label="no difference" />}</td>
                <td class="chart-num">{isKnown(aspect.confidence) ? formatPercent(aspect.confidence) : <Missing label="not known" />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </div>
  )
}

/**
 * The aspect radar with its table.
 * @param {{ aspects: Array<{ id: string, title: string|null, score: number|null,
 *   quick: number|null, delta: number|null, confidence: number }> }} props
 *   `aspects` is `results.aspects`, in aspect order.
 */
export function Radar({ aspects }) {
  const list = Array.isArray(aspects) ? aspects : []
  if (list.length === 0) {
    return <p class="chart-empty">No aspects to chart yet.</p>
  }
  return (
    <div class="chart-radar">
      {list.length >= 3 ? (
        <div class="chart-radar-figure">
          <RadarSvg aspects={list} />
          <p class="chart-legend">
            <span class="chart-legend-item">
              <LegendKey series="workshop" shape="circle" />
              Workshop score (solid line)
            </span>
            <span class="chart-legend-item">
              <LegendKey series="quick" shape="square" />
              Quick score (dashed line)
            </span>
            <span class="chart-legend-item chart-muted">Rings 1 to 5; the centre means not scored.</span>
          </p>
        </div>
      ) : null}
      <RadarTable aspects={list} />
    </div>
  )
}
