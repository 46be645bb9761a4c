// Small form controls and formatting shared by the steps.
import { useEffect, useState } from 'preact/hooks'

/** A figure from `results` for display: "—" when unknown. */
export function fmt (value, digits = 1) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—'
}

export function pct (value) {
  return typeof value === 'number' && Number.isFinite(value) ? `${Math.round(value * 100)}%` : '—'
}

export function signed (value, digits = 1) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—'
  const text = value.toFixed(digits)
  return value > 0 ? `+${text}` : text
}

/**
 * A labelled select of the integers of `range` (with their meanings), plus "not set".
 * `about` (what it is about, e.g. the factor) completes the label for screen readers only:
 * the accessible name is "label: about". `onChange` receives the number, or null.
 */
export function ValueSelect ({ id, label, about, value, range, meanings = {}, onChange, disabled, unset = 'Not set', compact = false }) {
  const options = []
  for (let v = range.min; v <= range.max; v++) options.push(v)
  return (
    <div class='field'>
      <label for={id} class={compact ? 'visually-hidden' : undefined}>
        {label}{about && <span class='visually-hidden'>: {about}</span>}
      </label>
      <select
        id={id}
        value={value === null || value === undefined ? '' : String(value)}
        disabled={disabled}
        onChange={(event) => {
          const raw = event.currentTarget.value
          onChange(raw === '' ? null : Number(raw))
        }}
      >
        <option value=''>{unset}</option>
        {options.map((v) => (
          <option key={v} value={String(v)}>{meanings[v] ? `${v} – ${meanings[v]}` : String(v)}</option>
        ))}
      </select>
    </div>
  )
}

/** A labelled select of `[value, label]` choices; `onChange` receives the value or null. */
export function ChoiceSelect ({ id, label, value, choices, onChange, disabled, unset = 'Not set' }) {
  return (
    <div class='field'>
      <label for={id}>{label}</label>
      <select id={id} value={value || ''} disabled={disabled} onChange={(e) => onChange(e.currentTarget.value || null)}>
        {unset !== null && <option value=''>{unset}</option>}
        {choices.map(([v, text]) => <option key={v} value={v}>{text}</option>)}
      </select>
    </div>
  )
}

/**
 * A labelled one-line text field over a shared string: edits are kept locally while typing
 * and written when the field is left or Enter is pressed; remote changes show when it is
 * not being edited.
 */
export function CommitField ({ id, label, value, onCommit, disabled, type = 'text', required = false, maxLength = 500 }) {
  const [draft, setDraft] = useState(value)
  const [editing, setEditing] = useState(false)
  useEffect(() => {
    if (!editing) setDraft(value)
  }, [value, editing])
  const commit = () => {
    setEditing(false)
    const next = type === 'text' ? draft.trim() : draft
    if (next === value || (required && !next)) {
      setDraft(value)
      return
    }
    onCommit(next)
  }
  return (
    <div class='field'>
      <label for={id}>{label}</label>
      <input
        id={id}
        type={type}
        value={draft}
        disabled={disabled}
        maxLength={maxLength}
        onFocus={() => setEditing(true)}
        onInput={(e) => setDraft(e.currentTarget.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault()
            commit()
          }
          if (e.key === 'Escape') {
            setDraft(value)
            setEditing(false)
          }
        }}
      />
    </div>
  )
}

/** The warnings of `results` whose path is `path` or under it. */
export function warningsAt (results, path) {
  return (results.warnings || []).filter((w) => w.path === path || w.path.startsWith(path + '/'))
}

/** A step's heading, focused when the step opens (for keyboard and screen reader users). */
export function StepHeading ({ heading, children }) {
  return <h2 ref={heading} tabIndex={-1} class='step-heading'>{children}</h2>
}
