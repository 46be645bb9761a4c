// Approach: the ranked fit of the eight commissioning approaches, the recommended approach
// and blend, the approach the workshop selects (facilitator), and the relevance matrix.
import * as Y from 'yjs'
import { ApproachBars } from '../../charts/ApproachBars.jsx'
import { approaches as readApproaches, meta as readMeta, RELEVANCE, setOrClear, validInt } from '../../lib/model.js'
import { ChoiceSelect, StepHeading, ValueSelect } from '../controls.jsx'

export function Approach ({ doc, results, aspects, can, heading }) {
  const approaches = readApproaches(doc)
  const aspectTitles = Object.fromEntries(aspects.map((a) => [a.id, a.title]))
  const { selectedApproach } = readMeta(doc)
  const recommended = approaches.find((a) => a.id === results.recommended)
  return (
    <section>
      <StepHeading heading={heading}>Approach</StepHeading>
      <p class='lede'>
        The aspect scores are matched against the profile of each approach. {recommended
          ? <>The best fit for this place is <strong>{recommended.title}</strong>.</>
          : 'No approach has enough scored aspects to recommend yet.'}
      </p>
      <ApproachBars approaches={results.approaches || []} recommended={results.recommended ?? null} blend={results.blend || []} selected={results.selected ?? null} aspectTitles={aspectTitles} />
      <div class='panel'>
        <ChoiceSelect
          id='selected-approach'
          label='Approach the workshop takes forward'
          value={selectedApproach}
          choices={approaches.map((a) => [a.id, a.title])}
          unset='The recommended approach'
          disabled={!can.facilitate}
          onChange={(value) => setOrClear(doc.getMap('meta'), 'selected_approach', value)}
        />
        {!can.facilitate && <p class='muted small'>The facilitator chooses the approach.</p>}
      </div>
      <div class='table-scroll'>
        <table class='data-table matrix'>
          <caption>How much each approach depends on each aspect (0 none to 3 high)</caption>
          <thead>
            <tr>
              <th scope='col'>Approach</th>
              {aspects.map((a) => <th key={a.id} scope='col'>{a.title}</th>)}
            </tr>
          </thead>
          <tbody>
            {approaches.map((approach) => {
              const relevance = approach.map.get('relevance')
              return (
                <tr key={approach.id}>
                  <th scope='row'>{approach.title}</th>
                  {aspects.map((a) => {
                    const value = relevance && typeof relevance.get === 'function' ? validInt(relevance.get(a.id), RELEVANCE) : null
                    return (
                      <td key={a.id}>
                        {can.facilitate && relevance instanceof Y.Map
                          ? <ValueSelect id={`relevance-${approach.id}-${a.id}`} label={`Relevance of ${a.title} to ${approach.title}`} value={value} range={RELEVANCE} compact unset='–' onChange={(v) => setOrClear(relevance, a.id, v)} />
                          : (value ?? '–')}
                      </td>
                    )
                  })}
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
    </section>
  )
}
