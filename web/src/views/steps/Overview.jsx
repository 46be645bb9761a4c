// The figures, live: aspect scores (radar, workshop and quick), approach fit, the four
// worlds' perspective gaps, the top constraints and enablers, breakout groups and warnings,
// and the workshop's downloads. The panels holding tables take the whole width, so that the
// tables fit beside or under their charts instead of scrolling.
import { useState } from 'preact/hooks'
import { Radar } from '../../charts/Radar.jsx'
import { ApproachBars } from '../../charts/ApproachBars.jsx'
import { Worlds } from '../../charts/Worlds.jsx'
import { addGroup } from '../../lib/model.js'
import { pct, StepHeading } from '../controls.jsx'
import { Downloads } from '../Downloads.jsx'
import { TopItems } from './TopItems.jsx'
import { Warnings } from './Warnings.jsx'

export function Overview ({ workshop, token, doc, results, aspects, groups, can, heading }) {
  const aspectTitles = Object.fromEntries(aspects.map((a) => [a.id, a.title]))
  return (
    <section class='overview'>
      <StepHeading heading={heading}>Overview and figures</StepHeading>
      <p class='lede'>
        Every change anyone makes recomputes these figures. They are a vehicle for
        self-improvement, not a performance table.
      </p>
      <Downloads id={workshop.id} token={token} />
      <div class='overview-grid'>
        <section class='panel wide' aria-labelledby='radar-heading'>
          <h3 id='radar-heading'>Aspect scores</h3>
          <Radar aspects={results.aspects || []} />
        </section>
        <section class='panel' aria-labelledby='approach-fit-heading'>
          <h3 id='approach-fit-heading'>Approach fit</h3>
          <ApproachBars approaches={results.approaches || []} recommended={results.recommended ?? null} blend={results.blend || []} selected={results.selected ?? null} aspectTitles={aspectTitles} />
        </section>
        <section class='panel' aria-labelledby='top-heading'>
          <h3 id='top-heading'>Top constraints and enablers</h3>
          <TopItems results={results} aspectTitles={aspectTitles} />
        </section>
        <section class='panel wide' aria-labelledby='worlds-heading'>
          <h3 id='worlds-heading'>Four worlds</h3>
          <Worlds aspects={results.aspects || []} />
        </section>
        <section class='panel' aria-labelledby='groups-heading'>
          <h3 id='groups-heading'>Breakout groups</h3>
          <Groups doc={doc} results={results} aspects={aspects} groups={groups} can={can} />
        </section>
        <section class='panel' aria-labelledby='warnings-heading'>
          <h3 id='warnings-heading'>Warnings</h3>
          <Warnings results={results} doc={doc} aspects={aspects} />
        </section>
      </div>
    </section>
  )
}

function Groups ({ doc, results, aspects, groups, can }) {
  const progress = new Map((results.groups || []).map((g) => [g.id, g.progress]))
  const [name, setName] = useState('')
  const [chosen, setChosen] = useState([])
  const titles = Object.fromEntries(aspects.map((a) => [a.id, a.title]))
  return (
    <>
      {groups.length === 0 && <p>No breakout groups yet.</p>}
      {groups.length > 0 && (
        <ul class='groups'>
          {groups.map((g) => (
            <li key={g.id}>
              <strong>{g.name}</strong>: {g.aspects.map((a) => titles[a] || a).join(', ') || 'no aspects'}
              <span class='muted'> · progress {pct(progress.get(g.id))}</span>
            </li>
          ))}
        </ul>
      )}
      {can.edit && (
        <form
          class='stacked-form'
          onSubmit={(event) => {
            event.preventDefault()
            if (!name.trim()) return
            addGroup(doc, name.trim(), aspects.filter((a) => chosen.includes(a.id)).map((a) => a.id))
            setName('')
            setChosen([])
          }}
        >
          <div class='field'>
            <label for='group-name'>New group name</label>
            <input id='group-name' maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </div>
          <fieldset>
            <legend>Its aspects</legend>
            {aspects.map((a) => (
              <label key={a.id} class='check'>
                <input
                  type='checkbox'
                  checked={chosen.includes(a.id)}
                  onChange={(e) => setChosen(e.currentTarget.checked ? [...chosen, a.id] : chosen.filter((x) => x !== a.id))}
                />
                {a.title}
              </label>
            ))}
          </fieldset>
          <button type='submit'>Add group</button>
        </form>
      )}
    </>
  )
}
