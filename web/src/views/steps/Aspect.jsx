// An aspect worksheet: each factor with its shared notes, the participant's own score and
// weight, everyone's votes, the agreed values (facilitator), a contested mark, and the
// aspect's provisional score, confidence and quick-vs-workshop delta.
import { useState } from 'preact/hooks'
import { addFactor, canRemove, median, removeFactor, SCORE, SCORE_MEANINGS, setOrClear, setVote, validInt, votes, WEIGHT, WEIGHT_MEANINGS } from '../../lib/model.js'
import { SharedText } from '../../lib/sharedtext.jsx'
import { VoteDistribution } from '../../charts/VoteDistribution.jsx'
import { FactorPresence } from '../Presence.jsx'
import { CommitField, fmt, pct, signed, StepHeading, ValueSelect } from '../controls.jsx'

export function Aspect ({ aspect, results, me, can, awareness, focusFactor, heading }) {
  const figures = (results.aspects || []).find((a) => a.id === aspect.id) || {}
  const contested = new Set(figures.contested || [])
  return (
    <section aria-labelledby='aspect-heading'>
      <StepHeading heading={heading}><span id='aspect-heading'>{aspect.title}</span></StepHeading>
      <dl class='figures-row' aria-label={`Figures for ${aspect.title}`}>
        <div><dt>Provisional score</dt><dd data-figure='aspect-score'>{fmt(figures.score, 2)}</dd></div>
        <div><dt>Confidence</dt><dd>{pct(figures.confidence)}</dd></div>
        <div><dt>Quick score</dt><dd>{fmt(figures.quick, 1)}</dd></div>
        <div><dt>Workshop − quick</dt><dd>{signed(figures.delta, 2)}</dd></div>
      </dl>
      <div class='field'>
        <label for={`notes-${aspect.id}`}>Notes on {aspect.title.toLowerCase()}</label>
        <SharedText id={`notes-${aspect.id}`} text={aspect.map.get('notes')} label={`Notes on ${aspect.title}`} readOnly={!can.edit} />
      </div>
      <ol class='factors'>
        {aspect.factors.map((factor) => (
          <Factor
            key={factor.id}
            aspect={aspect}
            factor={factor}
            contested={contested.has(factor.id)}
            me={me}
            can={can}
            awareness={awareness}
            onFocus={() => focusFactor(aspect.id, factor.id)}
          />
        ))}
      </ol>
      {can.edit && <AddFactor aspect={aspect} />}
    </section>
  )
}

function Factor ({ aspect, factor, contested, me, can, awareness, onFocus }) {
  const map = factor.map
  const key = `${aspect.id}-${factor.id}`
  const scoreVotes = votes(map.get('scores'), SCORE)
  const weightVotes = votes(map.get('weights'), WEIGHT)
  const mine = me ? me.participant_id : null
  const myScore = mine ? validInt(map.get('scores')?.get(mine), SCORE) : null
  const myWeight = mine ? validInt(map.get('weights')?.get(mine), WEIGHT) : null
  const agreedScore = validInt(map.get('agreed_score'), SCORE)
  const agreedWeight = validInt(map.get('agreed_weight'), WEIGHT)
  const scoreValues = scoreVotes.map(([, v]) => v)
  const weightValues = weightVotes.map(([, v]) => v)
  const [renaming, setRenaming] = useState(false)

  return (
    <li class={`factor${contested ? ' factor-contested' : ''}`} aria-labelledby={`factor-${key}`} onFocusCapture={onFocus}>
      <div class='factor-head'>
        <h3 id={`factor-${key}`}>{factor.title}</h3>
        {contested && <span class='badge badge-warning'>Contested</span>}
        <FactorPresence awareness={awareness} aspect={aspect.id} factor={factor.id} />
      </div>
      <div class='factor-grid'>
        <div class='factor-notes field'>
          <label for={`notes-${key}`}>Discussion notes</label>
          <SharedText id={`notes-${key}`} text={map.get('notes')} label={`Discussion notes: ${factor.title}`} readOnly={!can.edit} />
        </div>
        <div class='factor-votes'>
          {can.vote && (
            <>
              <ValueSelect id={`score-${key}`} label='Your score' about={factor.title} value={myScore} range={SCORE} meanings={SCORE_MEANINGS} onChange={(v) => setVote(map, 'scores', mine, v)} />
              <ValueSelect id={`weight-${key}`} label='Your weight' about={factor.title} value={myWeight} range={WEIGHT} meanings={WEIGHT_MEANINGS} onChange={(v) => setVote(map, 'weights', mine, v)} />
            </>
          )}
          <div class='vote-summary'>
            <span>Scores ({scoreValues.length}), median {fmt(median(scoreValues), 1)}</span>
            <VoteDistribution votes={scoreValues} min={SCORE.min} max={SCORE.max} label={`Scores for ${factor.title}`} />
          </div>
          <div class='vote-summary'>
            <span>Weights ({weightValues.length}), median {fmt(median(weightValues), 1)}</span>
            <VoteDistribution votes={weightValues} min={WEIGHT.min} max={WEIGHT.max} label={`Weights for ${factor.title}`} />
          </div>
          {can.facilitate
            ? (
              <>
                <ValueSelect id={`agreed-score-${key}`} label='Agreed score' about={factor.title} value={agreedScore} range={SCORE} meanings={SCORE_MEANINGS} onChange={(v) => setOrClear(map, 'agreed_score', v)} unset='Not agreed' />
                <ValueSelect id={`agreed-weight-${key}`} label='Agreed weight' about={factor.title} value={agreedWeight} range={WEIGHT} meanings={WEIGHT_MEANINGS} onChange={(v) => setOrClear(map, 'agreed_weight', v)} unset='Not agreed' />
              </>
              )
            : (
              <p class='agreed'>Agreed score: {agreedScore ?? 'not yet'} · agreed weight: {agreedWeight ?? 'not yet'}</p>
              )}
        </div>
      </div>
      {can.edit && (
        <div class='factor-tools'>
          {renaming
            ? (
              <CommitField
                id={`rename-${key}`}
                label={`New name for ${factor.title}`}
                value={factor.title}
                required
                autoFocus
                onCommit={(title) => setOrClear(map, 'title', title)}
                onDone={() => setRenaming(false)}
              />
              )
            : <button type='button' class='link-button' onClick={() => setRenaming(true)}>Rename<span class='visually-hidden'> {factor.title}</span></button>}
          {canRemove(map, me, can)
            ? (
              <button
                type='button'
                class='link-button danger'
                onClick={() => {
                  if (window.confirm(`Remove the factor “${factor.title}” and its votes and notes?`)) removeFactor(aspect.map, factor.id)
                }}
              >
                Remove<span class='visually-hidden'> {factor.title}</span>
              </button>
              )
            : <span class='muted small'>Others have voted here: the facilitator can remove it.</span>}
        </div>
      )}
    </li>
  )
}

function AddFactor ({ aspect }) {
  const [title, setTitle] = useState('')
  return (
    <form
      class='inline-form'
      onSubmit={(event) => {
        event.preventDefault()
        if (title.trim()) {
          addFactor(aspect.map, title.trim())
          setTitle('')
        }
      }}
    >
      <div class='field'>
        <label for={`add-factor-${aspect.id}`}>New factor for {aspect.title.toLowerCase()}</label>
        <input id={`add-factor-${aspect.id}`} maxLength={200} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
      </div>
      <button type='submit'>Add factor</button>
    </form>
  )
}
