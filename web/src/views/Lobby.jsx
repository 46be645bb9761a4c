// The lobby: start a workshop, open one this browser knows, or follow an invite link.
import { useEffect, useRef, useState } from 'preact/hooks'
import { createWorkshop, listTokens, listWorkshops } from '../lib/api.js'
import { allTokens, createToken, forgetWorkshop, rememberLink, saveCreated, saveCreateToken } from '../lib/session.js'
import { InviteLinks } from './InviteLinks.jsx'
import { useTitle } from './useTitle.js'

export function Lobby () {
  useTitle('Commissioning workshops')
  const [created, setCreated] = useState(null)
  const createdPanel = useRef(null)
  useEffect(() => {
    if (created) createdPanel.current?.focus()
  }, [created])
  const [list, setList] = useState({ loading: true, workshops: [], error: null })

  const refresh = () => {
    const tokens = allTokens()
    if (tokens.length === 0) {
      setList({ loading: false, workshops: [], error: null })
      return
    }
    listWorkshops(tokens)
      .then((workshops) => setList({ loading: false, workshops, error: null }))
      .catch((error) => setList({ loading: false, workshops: [], error: error.message }))
  }
  useEffect(refresh, [])

  return (
    <main class='lobby'>
      <h1>Commissioning workshops</h1>
      <p class='lede'>
        Assess your place against the eight aspects of commissioning with your partners, live,
        and see which commissioning approach fits it best.
      </p>
      <div class='lobby-grid'>
        <CreateForm onCreated={(workshop) => { setCreated(workshop); refresh() }} />
        <section aria-labelledby='yours-heading' class='panel'>
          <h2 id='yours-heading'>Your workshops</h2>
          {list.loading && <p>Loading…</p>}
          {list.error && <p class='error' role='alert'>{list.error}</p>}
          {!list.loading && !list.error && list.workshops.length === 0 && (
            <p>None yet. Start one, or open the invite link a facilitator sent you.</p>
          )}
          {list.workshops.length > 0 && (
            <ul class='workshop-list'>
              {list.workshops.map((w) => (
                <li key={w.id}>
                  <a href={`/w/${w.id}`}>{w.title}</a> <span class='muted'>{w.place}</span>
                  <button
                    type='button'
                    class='link-button'
                    aria-label={`Forget ${w.title} on this device`}
                    onClick={() => { forgetWorkshop(w.id); refresh() }}
                  >
                    Forget
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
      {created && (
        <section aria-labelledby='created-heading' class='panel created' tabIndex={-1} ref={createdPanel}>
          <h2 id='created-heading'>“{created.title}” is ready</h2>
          <p>Share these links. Anyone with a link can join with its rights; keep the facilitator link to yourself.</p>
          <InviteLinks id={created.id} token={created.tokens.facilitator} />
          <p><a class='button' href={`/w/${created.id}`}>Open the workshop</a></p>
        </section>
      )}
    </main>
  )
}

/** What the create form says when the server wants its create token. */
const TOKEN_NEEDED = 'This server asks for a create token before anyone starts a workshop. Enter the one its administrator gave you, then create the workshop again.'
const TOKEN_WRONG = 'That create token is not this server\'s. Check it with the server\'s administrator and try again.'

function CreateForm ({ onCreated }) {
  const [title, setTitle] = useState('')
  const [place, setPlace] = useState('')
  // The create token field shows once the server has asked for one, or when this session has one.
  const [token, setToken] = useState(() => createToken() || '')
  const [askToken, setAskToken] = useState(() => Boolean(createToken()))
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState(null)
  const tokenField = useRef(null)
  useEffect(() => {
    if (error === TOKEN_NEEDED || error === TOKEN_WRONG) tokenField.current?.focus()
  }, [error])
  const submit = async (event) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    const sent = askToken ? token.trim() : ''
    try {
      const answer = await createWorkshop(title.trim(), place.trim(), sent || null)
      if (sent) saveCreateToken(sent)
      await rememberCreationLinks(answer)
      const workshop = { id: answer.id, title: title.trim(), place: place.trim(), tokens: answer.tokens }
      saveCreated(workshop)
      setTitle('')
      setPlace('')
      onCreated(workshop)
    } catch (failure) {
      // 401: the server wants a create token; 403 to a token: not that one.
      if (failure.status === 401 || (failure.status === 403 && sent)) {
        saveCreateToken(null)
        setAskToken(true)
        setError(failure.status === 401 ? TOKEN_NEEDED : TOKEN_WRONG)
      } else {
        setError(failure.message)
      }
    } finally {
      setBusy(false)
    }
  }
  return (
    <section aria-labelledby='create-heading' class='panel'>
      <h2 id='create-heading'>Start a workshop</h2>
      <form onSubmit={submit}>
        <label for='create-title'>Title</label>
        <input id='create-title' required maxLength={200} value={title} onInput={(e) => setTitle(e.currentTarget.value)} placeholder='Autumn commissioning workshop' />
        <label for='create-place'>Place</label>
        <input id='create-place' required maxLength={200} value={place} onInput={(e) => setPlace(e.currentTarget.value)} placeholder='Northshire' />
        {askToken && (
          <>
            <label for='create-token'>Create token</label>
            <p class='hint' id='create-token-hint'>Once it works, this browser keeps it until you close the tab.</p>
            <input
              id='create-token'
              ref={tokenField}
              type='password'
              required
              autoComplete='off'
              aria-describedby='create-token-hint'
              aria-invalid={error === TOKEN_WRONG ? 'true' : undefined}
              value={token}
              onInput={(e) => setToken(e.currentTarget.value)}
            />
          </>
        )}
        {error && <p class='error' role='alert'>{error}</p>}
        <button type='submit' disabled={busy}>{busy ? 'Creating…' : 'Create workshop'}</button>
      </form>
    </section>
  )
}

/**
 * Keeps the new workshop's three invite links by their token ids, so that its list of links
 * can offer them: a workshop just created holds exactly these three tokens, one per role.
 */
async function rememberCreationLinks ({ id, tokens }) {
  try {
    for (const record of await listTokens(id, tokens.facilitator)) {
      if (record.kind === 'invite' && tokens[record.role]) rememberLink(id, record.id, tokens[record.role])
    }
  } catch {
    // The workshop exists: its list of links then shows them without their addresses.
  }
}
