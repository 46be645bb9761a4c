// The engine's warnings, each linked to where it can be dealt with.

/** The step address a warning's path points to. */
export function warningLink (path) {
  const parts = path.split('/')
  if (parts[0] === 'aspects' && parts[1]) return `#aspect/${parts[1]}`
  if (parts[0] === 'items') return '#items'
  if (parts[0] === 'actions') return '#plan'
  if (parts[0] === 'hypotheses' || parts[0] === 'gaps') return '#strategy'
  if (parts[0] === 'approaches' || parts[0] === 'meta') return '#approach'
  return null
}

export function Warnings ({ results }) {
  const list = results.warnings || []
  if (list.length === 0) return <p>No warnings.</p>
  return (
    <ul class='warnings'>
      {list.map((w) => {
        const link = warningLink(w.path)
        return (
          <li key={`${w.path}|${w.kind}`} class={`warning warning-${w.kind}`}>
            {link ? <a href={link}>{w.message}</a> : w.message}
          </li>
        )
      })}
    </ul>
  )
}
