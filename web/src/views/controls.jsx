// Small form controls and formatting shared by the steps.
import { useEffect, useRef, useState } from 'preact/hooks'

/** Completes a control's label for screen readers: "Owner" becomes "Owner: <action>". */
function About ({ text }) {
  return text ? <span class='visually-hidden'>: {text}</span> : null
}

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
        {label}<About text={about} />
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
export function ChoiceSelect ({ id, label, about, value, choices, onChange, disabled, unset = 'Not set' }) {
  return (
    <div class='field'>
      <label for={id}>{label}<About text={about} /></label>
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
export function CommitField ({ id, label, about, value, onCommit, onDone, disabled, type = 'text', required = false, maxLength = 500, autoFocus = false }) {
  const [draft, setDraft] = useState(value)
  const [editing, setEditing] = useState(false)
  const input = useRef(null)
  useEffect(() => {
    if (autoFocus) input.current?.focus()
  }, [])
  // A remote change shows unless this field is being edited; a committed draft stays until
  // the shared value catches up with it.
  useEffect(() => {
    if (!editing) setDraft(value)
  }, [value])
  const commit = () => {
    setEditing(false)
    const next = type === 'text' ? draft.trim() : draft
    if (next === value || (required && !next)) setDraft(value)
    else onCommit(next)
    if (onDone) onDone()
  }
  return (
    <div class='field'>
      <label for={id}>{label}<About text={about} /></label>
      <input
        id={id}
        type={type}
        value={draft}
        disabled={disabled}
        maxLength={maxLength}
        ref={input}
        onInput={(e) => {
          setEditing(true)
          setDraft(e.currentTarget.value)
        }}
        onBlur={() => { if (editing) commit(); else if (onDone) onDone() }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault()
            commit()
          }
          if (e.key === 'Escape') {
            setDraft(value)
            setEditing(false)
            if (onDone) onDone()
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
