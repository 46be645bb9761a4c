// Quick assessment: each participant's quick score per aspect before the workshop, the
// spread of votes, the agreed quick score (facilitator), and the workshop score beside it.
import { median, SCORE, SCORE_MEANINGS, setOrClear, setVote, validInt, votes } from '../../lib/model.js'
import { VoteDistribution } from '../../charts/VoteDistribution.jsx'
import { fmt, StepHeading, ValueSelect } from '../controls.jsx'

export function Quick ({ aspects, results, me, can, heading }) {
  const figures = new Map((results.aspects || []).map((a) => [a.id, a]))
  const mine = me ? me.participant_id : null
  return (
    <section>
      <StepHeading heading={heading}>Quick assessment</StepHeading>
      <p class='lede'>Before the workshop, score each aspect as a whole: 1 is a major area for development, 3 adequate, 5 a real strength.</p>
      <div class='table-scroll'>
        <table class='data-table'>
          <caption class='visually-hidden'>Quick scores per aspect</caption>
          <thead>
            <tr>
              <th scope='col'>Aspect</th>
              {can.vote && <th scope='col'>Your quick score</th>}
              <th scope='col'>Votes</th>
              <th scope='col'>Agreed quick score</th>
              <th scope='col'>Quick score</th>
              <th scope='col'>Workshop score</th>
            </tr>
          </thead>
          <tbody>
            {aspects.map((aspect) => {
              const list = votes(aspect.map.get('quick'), SCORE).map(([, v]) => v)
              const agreed = validInt(aspect.map.get('quick_agreed'), SCORE)
              const f = figures.get(aspect.id) || {}
              return (
                <tr key={aspect.id}>
                  <th scope='row'><a href={`#aspect/${aspect.id}`}>{aspect.title}</a></th>
                  {can.vote && (
                    <td>
                      <ValueSelect id={`quick-${aspect.id}`} label={`Your quick score: ${aspect.title}`} value={validInt(aspect.map.get('quick')?.get(mine), SCORE)} range={SCORE} meanings={SCORE_MEANINGS} onChange={(v) => setVote(aspect.map, 'quick', mine, v)} compact />
                    </td>
                  )}
                  <td>
                    <VoteDistribution votes={list} min={SCORE.min} max={SCORE.max} label={`Quick scores for ${aspect.title}`} />
                    <span class='muted small'>{list.length} · median {fmt(median(list), 1)}</span>
                  </td>
                  <td>
                    {can.facilitate
                      ? <ValueSelect id={`quick-agreed-${aspect.id}`} label={`Agreed quick score: ${aspect.title}`} value={agreed} range={SCORE} onChange={(v) => setOrClear(aspect.map, 'quick_agreed', v)} unset='Not agreed' compact />
                      : (agreed ?? '—')}
                  </td>
                  <td>{fmt(f.quick, 1)}</td>
                  <td>{fmt(f.score, 2)}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
    </section>
  )
}
