// How the charts print figures. The results carry figures rounded to 3 decimals (DOMAIN.md
// 5.1); these helpers shorten them for display, rounding half away from zero on whole
// thousandths so that a shown 3.665 always reads 3.67, as the engine would round it.

import { isKnown } from './geometry.js'

/** A true minus sign, which screen readers announce as "minus". */
const MINUS = '\u2212'

/** `value` with exactly `digits` decimals (0..3), or `null` when unknown. */
export function fixed(value, digits) {
  if (!isKnown(value)) return null
  const milli = Math.round(Math.abs(value) * 1000)
  const step = 10 ** (3 - digits)
  const scaled = Math.round(milli / step) // milli / step is exact at .5, so this is half-up
  const whole = Math.floor(scaled / 10 ** digits)
  const frac = String(scaled % 10 ** digits).padStart(digits, '0')
  const text = digits > 0 ? `${whole}.${frac}` : String(whole)
  return value < 0 && scaled !== 0 ? MINUS + text : text
}

/** A score on the 1..5 scale: "3.67", or `missing` when unknown. */
export function formatScore(value, missing = 'not scored') {
  return fixed(value, 2) ?? missing
}

/** A signed difference: "+0.67", "−1.00", "0.00", or `missing` when unknown. */
export function formatSigned(value, missing = '—') {
  const text = fixed(value, 2)
  if (text === null) return missing
  return text.startsWith(MINUS) || /^0\.0+$/.test(text) ? text : '+' + text
}

/** A share 0..1 as a whole percentage: "67%", or `missing` when unknown. */
export function formatPercent(share, missing = '—') {
  const text = isKnown(share) ? fixed(share * 100, 0) : null
  return text === null ? missing : `${text}%`
}

/** An approach's fit 0..100 with one decimal: "72.5", or `missing` when unknown. */
export function formatFit(value, missing = 'no fit') {
  return fixed(value, 1) ?? missing
}
