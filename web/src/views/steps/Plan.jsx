// The commissioning development plan: actions with owner, due date, status and linked
// items, flagged when overdue, and the top items that have no action yet.
import { useState } from 'preact/hooks'
import { ACTION_STATUSES, actions as readActions, addAction, items as readItems, removeEntity, setActionItem, setOrClear } from '../../lib/model.js'
import { ChoiceSelect, CommitField, StepHeading } from '../controls.jsx'

export function Plan ({ doc, results, aspects, can, heading }) {
  const actionList = readActions(doc)
  const itemList = readItems(doc)
  const warnings = results.warnings || []
  const overdue = new Set(warnings.filter((w) => w.kind === 'overdue_action').map((w) => w.path.split('/')[1]))
  const unlinked = warnings.filter((w) => w.kind === 'unlinked_item').map((w) => w.path.split('/')[1])
  const itemTitle = new Map(itemList.map((i) => [i.id, i.title || 'Untitled']))
  const aspectChoices = aspects.map((a) => [a.id, a.title])
  const [title, setTitle] = useState('')
  return (
    <section>
      <StepHeading heading={heading}>Development plan</StepHeading>
      {unlinked.length > 0 && (
        <div class='panel flag' role='note' aria-labelledby='unlinked-heading'>
          <h3 id='unlinked-heading'>Top items without an action</h3>
          <ul>
            {unlinked.map((id) => (
              <li key={id}>
                {itemTitle.get(id) || id}
                {can.edit && (
                  <button type='button' class='link-button' onClick={() => addAction(doc, { title: `Act on: ${itemTitle.get(id) || id}`, items: [id] })}>
                    Add an action<span class='visually-hidden'> for {itemTitle.get(id)}</span>
                  </button>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
      {can.edit && (
        <form class='inline-form' onSubmit={(e) => { e.preventDefault(); if (title.trim()) { addAction(doc, { title: title.trim() }); setTitle('') } }}>
          <div class='field'>
            <label for='new-action'>New action</label>
            <input id='new-action' maxLength={300} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
          </div>
          <button type='submit'>Add action</button>
        </form>
      )}
      {actionList.length === 0 && <p>No actions yet.</p>}
      <ul class='cards'>
        {actionList.map((action) => {
          const key = action.id
          const label = action.title || 'Untitled'
          return (
            <li key={key} class={`card${overdue.has(key) ? ' card-overdue' : ''}`} aria-labelledby={`action-${key}`}>
              <div class='card-head'>
                <h3 id={`action-${key}`}>{label}</h3>
                {overdue.has(key) && <span class='badge badge-warning'>Overdue</span>}
              </div>
              <CommitField id={`action-title-${key}`} label='Action' about={label} value={action.title} required disabled={!can.edit} onCommit={(v) => setOrClear(action.map, 'title', v)} />
              <div class='form-row'>
                <CommitField id={`action-owner-${key}`} label='Owner' about={label} value={action.owner} disabled={!can.edit} onCommit={(v) => setOrClear(action.map, 'owner', v)} />
                <CommitField id={`action-due-${key}`} label='Due' type='date' value={action.due} disabled={!can.edit} onCommit={(v) => setOrClear(action.map, 'due', v)} />
                <ChoiceSelect id={`action-status-${key}`} label='Status' about={label} value={action.status} choices={ACTION_STATUSES} unset={null} disabled={!can.edit} onChange={(v) => setOrClear(action.map, 'status', v)} />
                <ChoiceSelect id={`action-aspect-${key}`} label='Aspect' about={label} value={action.aspect} choices={aspectChoices} unset='No aspect' disabled={!can.edit} onChange={(v) => setOrClear(action.map, 'aspect', v)} />
              </div>
              <fieldset>
                <legend>Constraints and enablers it deals with<span class='visually-hidden'>: {label}</span></legend>
                {itemList.length === 0 && <p class='muted small'>No items yet.</p>}
                {itemList.map((item) => (
                  <label key={item.id} class='check'>
                    <input type='checkbox' disabled={!can.edit} checked={action.items.includes(item.id)} onChange={(e) => setActionItem(action.map, item.id, e.currentTarget.checked)} />
                    {item.title || 'Untitled'} <span class='muted small'>({item.kind})</span>
                  </label>
                ))}
              </fieldset>
              {can.edit && (
                <button type='button' class='link-button danger' onClick={() => { if (window.confirm(`Remove the action “${label}”?`)) removeEntity(doc, 'actions', key) }}>
                  Remove<span class='visually-hidden'> {label}</span>
                </button>
              )}
            </li>
          )
        })}
      </ul>
    </section>
  )
}
