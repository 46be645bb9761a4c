// Constraints and enablers: add items with aspect, control and response; impact votes and
// dot votes (0 to 3 per participant per item); the engine's priority and rank; and the
// actions that deal with each.
import { useState } from 'preact/hooks'
import { actions as readActions, addAction, addItem, canRemove, CONTROLS, DOTS, IMPACT, items as readItems, removeEntity, RESPONSES, setOrClear, setVote, validInt, votes } from '../../lib/model.js'
import { SharedText } from '../../lib/sharedtext.jsx'
import { ChoiceSelect, CommitField, fmt, StepHeading, ValueSelect } from '../controls.jsx'

export function Items ({ doc, results, aspects, me, can, heading }) {
  const list = readItems(doc)
  const actionList = readActions(doc)
  const ranked = new Map()
  for (const key of ['constraints', 'enablers']) {
    (results[key] || []).forEach((item, index) => ranked.set(item.id, { rank: index + 1, ...item }))
  }
  const aspectChoices = aspects.map((a) => [a.id, a.title])
  return (
    <section>
      <StepHeading heading={heading}>Constraints and enablers</StepHeading>
      <p class='lede'>List what holds your place back and what helps it. Say how much is in your control; vote on impact and spend up to three dots on the items that matter most.</p>
      {can.edit && <AddItem doc={doc} aspectChoices={aspectChoices} />}
      <div class='board'>
        {[['constraint', 'Constraints'], ['enabler', 'Enablers']].map(([kind, title]) => (
          <section key={kind} aria-labelledby={`board-${kind}`} class='board-column'>
            <h3 id={`board-${kind}`}>{title}</h3>
            {list.filter((item) => item.kind === kind).length === 0 && <p class='muted'>None yet.</p>}
            <ul class='cards'>
              {list.filter((item) => item.kind === kind).map((item) => (
                <Item key={item.id} doc={doc} item={item} figures={ranked.get(item.id)} actions={actionList} aspectChoices={aspectChoices} me={me} can={can} />
              ))}
            </ul>
          </section>
        ))}
      </div>
    </section>
  )
}

function AddItem ({ doc, aspectChoices }) {
  const empty = { kind: 'constraint', title: '', aspect: '', control: '', response: '' }
  const [form, setForm] = useState(empty)
  const set = (key) => (value) => setForm({ ...form, [key]: value || '' })
  return (
    <form
      class='panel add-item'
      aria-labelledby='add-item-heading'
      onSubmit={(event) => {
        event.preventDefault()
        if (!form.title.trim()) return
        addItem(doc, { ...form, title: form.title.trim() })
        setForm({ ...empty, kind: form.kind })
      }}
    >
      <h3 id='add-item-heading'>Add a constraint or enabler</h3>
      <div class='form-row'>
        <ChoiceSelect id='item-kind' label='Kind' value={form.kind} unset={null} choices={[['constraint', 'Constraint'], ['enabler', 'Enabler']]} onChange={set('kind')} />
        <div class='field grow'>
          <label for='item-title'>Title</label>
          <input id='item-title' required maxLength={300} value={form.title} onInput={(e) => set('title')(e.currentTarget.value)} />
        </div>
      </div>
      <div class='form-row'>
        <ChoiceSelect id='item-aspect' label='Aspect' value={form.aspect} choices={aspectChoices} onChange={set('aspect')} unset='No aspect' />
        <ChoiceSelect id='item-control' label='Control' value={form.control} choices={CONTROLS} onChange={set('control')} />
        <ChoiceSelect id='item-response' label='Response' value={form.response} choices={RESPONSES} onChange={set('response')} unset='Suggest one' />
      </div>
      <button type='submit'>Add</button>
    </form>
  )
}

function Item ({ doc, item, figures, actions, aspectChoices, me, can }) {
  const map = item.map
  const mine = me ? me.participant_id : null
  const impactVotes = votes(map.get('impact'), IMPACT)
  const dotVotes = votes(map.get('dots'), DOTS)
  const totalDots = dotVotes.reduce((sum, [, v]) => sum + v, 0)
  const linked = actions.filter((a) => a.items.includes(item.id))
  const key = item.id
  const label = item.title || 'Untitled'
  return (
    <li class='card' aria-labelledby={`item-${key}`}>
      <div class='card-head'>
        <h4 id={`item-${key}`}>{label}</h4>
        {figures && <span class='badge'>#{figures.rank} · priority {fmt(figures.priority, 2)}</span>}
      </div>
      <p class='muted small'>
        Impact votes {impactVotes.length} · dots {totalDots}
        {figures?.response && !item.response ? ` · suggested response: ${figures.response}` : ''}
      </p>
      <div class='form-row'>
        {can.vote && <ValueSelect id={`impact-${key}`} label='Your impact vote' about={label} value={validInt(map.get('impact')?.get(mine), IMPACT)} range={IMPACT} onChange={(v) => setVote(map, 'impact', mine, v)} />}
        {can.vote && <ValueSelect id={`dots-${key}`} label='Your dots' about={label} value={validInt(map.get('dots')?.get(mine), DOTS)} range={{ min: 1, max: DOTS.max }} unset='0' onChange={(v) => setVote(map, 'dots', mine, v)} />}
        {can.facilitate && <ValueSelect id={`agreed-impact-${key}`} label='Agreed impact' about={label} value={validInt(map.get('agreed_impact'), IMPACT)} range={IMPACT} unset='Not agreed' onChange={(v) => setOrClear(map, 'agreed_impact', v)} />}
      </div>
      <details>
        <summary>Details<span class='visually-hidden'> of {label}</span></summary>
        <CommitField id={`item-title-${key}`} label='Title' about={label} value={item.title} required disabled={!can.edit} onCommit={(v) => setOrClear(map, 'title', v)} />
        <div class='form-row'>
          <ChoiceSelect id={`item-aspect-${key}`} label='Aspect' about={label} value={item.aspect} choices={aspectChoices} disabled={!can.edit} unset='No aspect' onChange={(v) => setOrClear(map, 'aspect', v)} />
          <ChoiceSelect id={`item-control-${key}`} label='Control' about={label} value={item.control} choices={CONTROLS} disabled={!can.edit} onChange={(v) => setOrClear(map, 'control', v)} />
          <ChoiceSelect id={`item-response-${key}`} label='Response' about={label} value={item.response} choices={RESPONSES} disabled={!can.edit} unset='Suggest one' onChange={(v) => setOrClear(map, 'response', v)} />
        </div>
        <div class='field'>
          <label for={`item-notes-${key}`}>Notes<span class='visually-hidden'>: {label}</span></label>
          <SharedText id={`item-notes-${key}`} text={map.get('notes')} label={`Notes: ${label}`} readOnly={!can.edit} />
        </div>
        {canRemove(map, me, can) && (
          <button type='button' class='link-button danger' onClick={() => { if (window.confirm(`Remove “${label}”?`)) removeEntity(doc, 'items', item.id) }}>
            Remove<span class='visually-hidden'> {label}</span>
          </button>
        )}
      </details>
      <div class='linked'>
        {linked.length === 0
          ? <p class='small'>No action yet.</p>
          : <p class='small'>Actions: {linked.map((a) => a.title || 'Untitled').join('; ')}</p>}
        {can.edit && (
          <button type='button' class='link-button' onClick={() => { addAction(doc, { title: `Act on: ${label}`, items: [item.id], aspect: item.aspect || null }); window.location.hash = '#plan' }}>
            Add an action<span class='visually-hidden'> for {label}</span>
          </button>
        )}
      </div>
    </li>
  )
}
