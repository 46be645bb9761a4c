// The method's strategy tools: hypotheses to accept or refute on evidence (8 to 10
// recommended) and the gap analysis template (7 to 8 objectives at most).
import { useState } from 'preact/hooks'
import { addGap, addHypothesis, GAP_FIELDS, gaps as readGaps, HYPOTHESIS_STATUSES, hypotheses as readHypotheses, removeEntity, setOrClear } from '../../lib/model.js'
import { SharedText } from '../../lib/sharedtext.jsx'
import { ChoiceSelect, CommitField, StepHeading } from '../controls.jsx'

export function Strategy ({ doc, results, can, heading }) {
  const hypotheses = readHypotheses(doc)
  const gapList = readGaps(doc)
  const warnings = results.warnings || []
  const tooManyHypotheses = warnings.find((w) => w.kind === 'too_many_hypotheses')
  const tooManyGaps = warnings.find((w) => w.kind === 'too_many_gaps')
  const [statement, setStatement] = useState('')
  const [objective, setObjective] = useState('')
  return (
    <section>
      <StepHeading heading={heading}>Hypotheses and gap analysis</StepHeading>
      <section aria-labelledby='hypotheses-heading'>
        <h3 id='hypotheses-heading'>Hypotheses ({hypotheses.length})</h3>
        <p class='muted'>Statements to accept or refute on evidence; 8 to 10 is a good number.</p>
        {tooManyHypotheses && <p class='flag' role='note'>{tooManyHypotheses.message}</p>}
        <ol class='cards'>
          {hypotheses.map((h) => (
            <li key={h.id} class='card' aria-label={`Hypothesis: ${h.statement || 'untitled'}`}>
              <CommitField id={`hypothesis-${h.id}`} label='Statement' about={h.statement} value={h.statement} required disabled={!can.edit} onCommit={(v) => setOrClear(h.map, 'statement', v)} />
              <ChoiceSelect id={`hypothesis-status-${h.id}`} label='Status' about={h.statement} value={h.status} choices={HYPOTHESIS_STATUSES} unset={null} disabled={!can.edit} onChange={(v) => setOrClear(h.map, 'status', v)} />
              <div class='field'>
                <label for={`hypothesis-evidence-${h.id}`}>Evidence</label>
                <SharedText id={`hypothesis-evidence-${h.id}`} text={h.map.get('evidence')} label={`Evidence: ${h.statement}`} readOnly={!can.edit} />
              </div>
              {can.edit && <button type='button' class='link-button danger' onClick={() => { if (window.confirm(`Remove the hypothesis “${h.statement}”?`)) removeEntity(doc, 'hypotheses', h.id) }}>Remove<span class='visually-hidden'> hypothesis {h.statement}</span></button>}
            </li>
          ))}
        </ol>
        {can.edit && (
          <form class='inline-form' onSubmit={(e) => { e.preventDefault(); if (statement.trim()) { addHypothesis(doc, statement.trim()); setStatement('') } }}>
            <div class='field grow'>
              <label for='new-hypothesis'>New hypothesis</label>
              <input id='new-hypothesis' maxLength={500} value={statement} onInput={(e) => setStatement(e.currentTarget.value)} />
            </div>
            <button type='submit'>Add hypothesis</button>
          </form>
        )}
      </section>
      <section aria-labelledby='gaps-heading'>
        <h3 id='gaps-heading'>Gap analysis ({gapList.length})</h3>
        <p class='muted'>Up to 7 or 8 strategic objectives, each with the gap, the rationale and what it means for commissioning.</p>
        {tooManyGaps && <p class='flag' role='note'>{tooManyGaps.message}</p>}
        <div class='table-scroll'>
          <table class='data-table gaps'>
            <caption class='visually-hidden'>Gap analysis</caption>
            <thead>
              <tr>
                {GAP_FIELDS.map(([field, title]) => <th key={field} scope='col'>{title}</th>)}
                {can.edit && <th scope='col'><span class='visually-hidden'>Remove</span></th>}
              </tr>
            </thead>
            <tbody>
              {gapList.map((gap, index) => (
                <tr key={gap.id}>
                  {GAP_FIELDS.map(([field, title]) => (
                    <td key={field}>
                      <SharedText text={gap.map.get(field)} label={`${title}, objective ${index + 1}`} readOnly={!can.edit} rows={4} />
                    </td>
                  ))}
                  {can.edit && (
                    <td>
                      <button type='button' class='link-button danger' onClick={() => { if (window.confirm(`Remove objective ${index + 1}?`)) removeEntity(doc, 'gaps', gap.id) }}>
                        Remove<span class='visually-hidden'> objective {index + 1}</span>
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {can.edit && (
          <form class='inline-form' onSubmit={(e) => { e.preventDefault(); if (objective.trim()) { addGap(doc, objective.trim()); setObjective('') } }}>
            <div class='field grow'>
              <label for='new-gap'>New strategic objective</label>
              <input id='new-gap' maxLength={500} value={objective} onInput={(e) => setObjective(e.currentTarget.value)} />
            </div>
            <button type='submit'>Add objective</button>
          </form>
        )}
      </section>
    </section>
  )
}

