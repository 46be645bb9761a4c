// Who is online (awareness), their breakout group, and which factor each is working on.

const COLOURS = ['#1d4ed8', '#b91c1c', '#047857', '#7c2d12', '#6d28d9', '#0e7490', '#a21caf', '#4d7c0f']

/** A stable colour for a participant (dark enough for white text). */
export function presenceColour (key) {
  let hash = 0
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) >>> 0
  return COLOURS[hash % COLOURS.length]
}

/** Everyone present, as `[{clientId, user, where, self}]`, one entry per person. */
export function present (awareness) {
  const people = []
  const seen = new Set()
  awareness.getStates().forEach((state, clientId) => {
    if (!state || !state.user) return
    const key = state.user.id || `client-${clientId}`
    if (seen.has(key) && clientId !== awareness.clientID) return
    seen.add(key)
    people.push({ clientId, user: state.user, where: state.where || {}, self: clientId === awareness.clientID })
  })
  people.sort((a, b) => (a.self === b.self ? a.user.name.localeCompare(b.user.name) : a.self ? -1 : 1))
  return people
}

function whereText (where, aspects) {
  if (!where || !where.step) return ''
  if (where.step === 'aspect') {
    const aspect = aspects.find((a) => a.id === where.aspect)
    const factor = aspect?.factors.find((f) => f.id === where.factor)
    if (aspect && factor) return `${aspect.title}: ${factor.title}`
    if (aspect) return aspect.title
  }
  const names = { overview: 'Overview', quick: 'Quick assessment', approach: 'Approach', items: 'Constraints and enablers', plan: 'Development plan', strategy: 'Hypotheses and gaps', links: 'Invite links' }
  return names[where.step] || ''
}

export function Presence ({ awareness, aspects }) {
  const people = present(awareness)
  return (
    <section class='presence' aria-labelledby='presence-heading'>
      <h2 id='presence-heading'>Online now ({people.length})</h2>
      <ul>
        {people.map((p) => (
          <li key={p.clientId}>
            <span class={`avatar avatar-${colourIndex(p.user.colour)}`} aria-hidden='true'>{initials(p.user.name)}</span>
            <span>
              <strong>{p.user.name}{p.self ? ' (you)' : ''}</strong>
              {p.user.group && <span class='muted'> · {p.user.group}</span>}
              <br />
              <span class='muted small'>{whereText(p.where, aspects)}</span>
            </span>
          </li>
        ))}
      </ul>
    </section>
  )
}

/** The people working on one factor, shown beside it. */
export function FactorPresence ({ awareness, aspect, factor }) {
  const here = present(awareness).filter((p) => !p.self && p.where.aspect === aspect && p.where.factor === factor)
  if (here.length === 0) return null
  return (
    <span class='factor-presence'>
      <span class='visually-hidden'>Working here: </span>
      {here.map((p) => (
        <span key={p.clientId} class={`avatar avatar-${colourIndex(p.user.colour)}`} title={p.user.name}>
          <span aria-hidden='true'>{initials(p.user.name)}</span>
          <span class='visually-hidden'>{p.user.name}</span>
        </span>
      ))}
    </span>
  )
}

function colourIndex (colour) {
  const index = COLOURS.indexOf(colour)
  return index < 0 ? 0 : index
}

function initials (name) {
  return (name || '?').split(/\s+/).filter(Boolean).slice(0, 2).map((part) => part[0].toUpperCase()).join('')
}
