// The live workshop: the connection, the method's steps as navigation, who is here, and the
// step being worked on. On a narrow screen the steps and who is here fold into a menu, so
// that the step comes first.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { openWorkshop } from '../lib/connection.js'
import { useAwareness, useDoc } from '../lib/hooks.js'
import { aspects as readAspects, meta as readMeta, participants as readParticipants, groups as readGroups, results as readResults } from '../lib/model.js'
import { forgetIdentity } from '../lib/session.js'
import { StatusBadge } from './StatusBadge.jsx'
import { Presence, presenceColour } from './Presence.jsx'
import { Overview } from './steps/Overview.jsx'
import { Quick } from './steps/Quick.jsx'
import { Aspect } from './steps/Aspect.jsx'
import { Approach } from './steps/Approach.jsx'
import { Items } from './steps/Items.jsx'
import { Plan } from './steps/Plan.jsx'
import { Strategy } from './steps/Strategy.jsx'
import { Links } from './steps/Links.jsx'
import { useTitle } from './useTitle.js'

/** The step an address hash names: `{name, aspect?}`. */
function stepOf (hash) {
  const [name, aspect] = hash.replace(/^#/, '').split('/')
  if (name === 'aspect' && aspect) return { name, aspect: decodeURIComponent(aspect) }
  if (['quick', 'approach', 'items', 'plan', 'strategy', 'links', 'overview'].includes(name)) return { name }
  return { name: 'overview' }
}

function useHashStep () {
  const [step, setStep] = useState(() => stepOf(window.location.hash))
  useEffect(() => {
    const onHash = () => {
      if (window.location.hash === '#step') return
      setStep(stepOf(window.location.hash))
    }
    window.addEventListener('hashchange', onHash)
    return () => window.removeEventListener('hashchange', onHash)
  }, [])
  return step
}

export function Workshop ({ id, token, me, role }) {
  const [, setStatusTick] = useState(0)
  const workshop = useMemo(() => openWorkshop(id, token, () => setStatusTick((t) => t + 1)), [id, token])
  useEffect(() => () => workshop.close(), [workshop])
  const { doc, awareness } = workshop
  useDoc(doc)
  useAwareness(awareness)
  const step = useHashStep()
  const status = workshop.status()

  const info = readMeta(doc)
  const aspects = readAspects(doc)
  const results = readResults(doc)
  const people = readParticipants(doc)
  const groupList = readGroups(doc)
  const myEntry = me ? people.get(me.participant_id) : null
  const can = {
    vote: Boolean(me),
    edit: role === 'editor' || role === 'facilitator',
    facilitate: role === 'facilitator'
  }

  // Presence: who I am and where I am working.
  useEffect(() => {
    const group = groupList.find((g) => g.id === (myEntry?.group || me?.group))
    awareness.setLocalStateField('user', {
      id: me?.participant_id || null,
      name: me ? (myEntry?.name || me.name) : 'Observer',
      organisation: me ? (myEntry?.organisation || me.organisation || '') : '',
      group: group ? group.name : '',
      colour: presenceColour(me?.participant_id || String(doc.clientID))
    })
  }, [awareness, me, myEntry?.name, myEntry?.organisation, myEntry?.group, groupList.map((g) => g.id + g.name).join()])
  useEffect(() => {
    awareness.setLocalStateField('where', { step: step.name, aspect: step.aspect || null, factor: null })
  }, [awareness, step.name, step.aspect])
  const focusFactor = (aspect, factor) => awareness.setLocalStateField('where', { step: step.name, aspect, factor })

  const currentAspect = step.name === 'aspect' ? aspects.find((a) => a.id === step.aspect) : null
  // On a change of step (not on opening the page) the new step's heading takes the focus,
  // so that keyboard and screen reader users start there.
  const heading = useRef(null)
  const opened = useRef(false)
  useEffect(() => {
    if (opened.current) heading.current?.focus()
    opened.current = true
  }, [step.name, step.aspect])
  useTitle(`${info.title || 'Workshop'} · ${stepTitle(step, currentAspect)}`)

  // The narrow screen's menu of steps: closed on opening and once a step is chosen.
  const [menuOpen, setMenuOpen] = useState(false)
  const menuButton = useRef(null)

  const context = { workshop, token, doc, me, can, results, aspects, people, groups: groupList, awareness, focusFactor, heading }
  return (
    <div class='workshop'>
      <a
        class='skip-link'
        href='#step'
        onClick={(event) => {
          // The address hash names the step: move the focus without touching it.
          event.preventDefault()
          document.getElementById('step')?.focus()
        }}
      >
        Skip to the step
      </a>
      <header class='workshop-header'>
        <div>
          <p class='place'>{info.place}</p>
          <h1>{info.title || 'Workshop'}</h1>
        </div>
        <StatusBadge status={status} />
        <div class='me'>
          {me ? <span>{myEntry?.name || me.name} <span class='muted'>({role})</span></span> : <span>Observer (read only)</span>}
          {me && (
            <button
              type='button'
              class='link-button'
              onClick={async () => {
                const warning = status.unsent
                  ? 'Some of your changes are not shared yet and will be lost. Leave anyway?'
                  : 'Leave this workshop on this device? Its copy here is deleted; you can join again with an invite link.'
                if (!window.confirm(warning)) return
                await workshop.discardLocalCopy()
                forgetIdentity(id)
                window.location.reload()
              }}
            >
              Leave on this device
            </button>
          )}
        </div>
      </header>
      {status.refused && (
        <div class='banner error' role='alert'>
          <p>The server refused one of your changes: {status.refused}.</p>
          <button type='button' onClick={() => workshop.discardLocalCopy().then(() => window.location.reload())}>
            Reload the shared copy
          </button>
        </div>
      )}
      {status.closed && <div class='banner error' role='alert'><p>{status.closed}</p></div>}
      <div class='workshop-body'>
        <nav
          aria-label='Workshop steps'
          class={menuOpen ? 'steps steps-open' : 'steps'}
          onClick={(event) => {
            if (event.target.closest('a')) setMenuOpen(false)
          }}
          onKeyDown={(event) => {
            if (event.key !== 'Escape' || !menuOpen) return
            setMenuOpen(false)
            menuButton.current?.focus()
          }}
        >
          <button
            type='button'
            class='steps-toggle'
            ref={menuButton}
            aria-expanded={menuOpen ? 'true' : 'false'}
            aria-controls='steps-menu'
            onClick={() => setMenuOpen(!menuOpen)}
          >
            Steps and who is online
          </button>
          <div id='steps-menu' class='steps-menu'>
            <ol>
              <StepLink step={step} to='overview' label='Overview and figures' />
              <StepLink step={step} to='quick' label='1. Quick assessment' />
              <li>
                <span class='nav-group' id='nav-aspects'>2. Aspect worksheets</span>
                <ol aria-labelledby='nav-aspects'>
                  {aspects.map((a) => <StepLink key={a.id} step={step} to={`aspect/${a.id}`} label={a.title} />)}
                </ol>
              </li>
              <StepLink step={step} to='approach' label='3. Approach' />
              <StepLink step={step} to='items' label='4. Constraints and enablers' />
              <StepLink step={step} to='plan' label='5. Development plan' />
              <StepLink step={step} to='strategy' label='6. Hypotheses and gap analysis' />
              {can.facilitate && <StepLink step={step} to='links' label='Invite links' />}
            </ol>
            <Presence awareness={awareness} aspects={aspects} />
          </div>
        </nav>
        <main id='step' class='step' tabIndex={-1}>
          {step.name === 'overview' && <Overview {...context} />}
          {step.name === 'quick' && <Quick {...context} />}
          {step.name === 'aspect' && (currentAspect
            ? <Aspect key={currentAspect.id} aspect={currentAspect} {...context} />
            : <p>There is no aspect “{step.aspect}” in this workshop.</p>)}
          {step.name === 'approach' && <Approach {...context} />}
          {step.name === 'items' && <Items {...context} />}
          {step.name === 'plan' && <Plan {...context} />}
          {step.name === 'strategy' && <Strategy {...context} />}
          {step.name === 'links' && <Links {...context} />}
        </main>
      </div>
    </div>
  )
}

function stepTitle (step, aspect) {
  switch (step.name) {
    case 'quick': return 'Quick assessment'
    case 'aspect': return aspect ? aspect.title : 'Aspect'
    case 'approach': return 'Approach'
    case 'items': return 'Constraints and enablers'
    case 'plan': return 'Development plan'
    case 'strategy': return 'Hypotheses and gap analysis'
    case 'links': return 'Invite links'
    default: return 'Overview'
  }
}

function StepLink ({ step, to, label }) {
  const current = (step.name === 'aspect' ? `aspect/${step.aspect}` : step.name) === to
  return (
    <li>
      <a href={`#${to}`} aria-current={current ? 'page' : undefined}>{label}</a>
    </li>
  )
}
