// Small pieces the chart components share.

/**
 * The mark of a figure that is not known: a dash on screen, words for a screen reader
 * (which would otherwise read the dash as nothing, or as "em dash").
 * @param {{ label?: string }} props  what a screen reader hears, e.g. "no score".
 */
export function Missing({ label = 'not known' }) {
  return (
    <>
      <span aria-hidden="true">—</span>
      <span class="chart-sr-only">{label}</span>
    </>
  )
}

/**
 * A wide table's container: on a narrow screen the table scrolls sideways inside it
 * instead of the page (WCAG 1.4.10 allows two-dimensional scrolling for tables), and
 * keyboard users can focus the region to scroll it.
 * @param {{ label: string, children: any }} props  `label` names the region.
 */
export function TableScroll({ label, children }) {
  return (
    <div class="chart-table-scroll" role="region" aria-label={label} tabindex="0">
      {children}
    </div>
  )
}
