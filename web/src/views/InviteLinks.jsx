// A workshop's invite links, for its facilitators: every token the server lists (the invite
// links of each role, and the access of each participant who joined), a copy button for each
// link made on this device (the server keeps no secrets, only their digests), a form to make
// a new link for a role, and revoking, which cuts off everyone using that token at once.
import { useEffect, useRef, useState } from 'preact/hooks'
import { listTokens, mintInvite, revokeToken } from '../lib/api.js'
import { knownLinks, rememberLink } from '../lib/session.js'

/** The roles of invite links: value, who they are for (plural, singular), what they may do. */
const ROLES = [
  ['editor', 'Participants', 'participant', 'join, vote and edit the workshop'],
  ['viewer', 'Observers', 'observer', 'follow the workshop without editing'],
  ['facilitator', 'Facilitators', 'facilitator', 'run the workshop: agreed values, roles and invite links']
]

const roleOf = (role) => ROLES.find(([value]) => value === role) || [role, role, role, '']
const whoOf = (role) => roleOf(role)[1]
const oneOf = (role) => roleOf(role)[2]
const whatOf = (role) => roleOf(role)[3]

/** The address an invite token opens the workshop with. */
function linkOf (id, secret) {
  return `${window.location.origin}/w/${id}?token=${encodeURIComponent(secret)}`
}

function when (timestamp) {
  const date = new Date(timestamp)
  if (Number.isNaN(date.getTime())) return 'at an unknown time'
  return date.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' })
}

/** Active tokens first, then by role (as listed above), then oldest first. */
function byStanding (a, b) {
  const rank = (t) => ROLES.findIndex(([value]) => value === t.role)
  return (a.revoked - b.revoked) || (rank(a) - rank(b)) || (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0)
}

/**
 * `id` the workshop, `token` a facilitator's token for it; `people` (optional) the
 * document's participants by id, to name who joined; `me` (optional) the participant using
 * the page, whose own access is not offered for removal.
 */
export function InviteLinks ({ id, token, people = new Map(), me = null }) {
  const [list, setList] = useState({ loading: true, tokens: [], error: null })
  const [known, setKnown] = useState(() => knownLinks(id))
  const [fresh, setFresh] = useState(null)
  const [error, setError] = useState(null)
  const [notice, setNotice] = useState('')

  // Only the latest reading is shown: an earlier answer arriving late is dropped.
  const reading = useRef(0)
  const refresh = () => {
    const mine = ++reading.current
    return listTokens(id, token)
      .then((tokens) => {
        if (mine === reading.current) setList({ loading: false, tokens: [...tokens].sort(byStanding), error: null })
      })
      .catch((failure) => {
        if (mine === reading.current) setList((old) => ({ ...old, loading: false, error: failure.message }))
      })
  }
  // Read again whenever someone joins (the document's participants change): their access is new.
  const joined = [...people.keys()].sort().join()
  useEffect(() => { refresh() }, [id, token, joined])

  const mint = async (role) => {
    setError(null)
    const minted = await mintInvite(id, token, role)
    rememberLink(id, minted.id, minted.token)
    setKnown(knownLinks(id))
    setFresh({ id: minted.id, role: minted.role, link: linkOf(id, minted.token) })
    await refresh()
  }

  const revoke = async (record, question) => {
    if (!window.confirm(question)) return
    setError(null)
    try {
      await revokeToken(id, token, record.id)
      setNotice(record.kind === 'invite' ? `The ${oneOf(record.role)} link was revoked.` : 'Their access was removed.')
      if (fresh?.id === record.id) setFresh(null)
    } catch (failure) {
      setError(failure.message)
    }
    await refresh()
  }

  const invites = list.tokens.filter((t) => t.kind === 'invite')
  const personal = list.tokens.filter((t) => t.kind === 'personal')
  return (
    <div class='invite-links'>
      <MintForm onMint={mint} />
      {fresh && <NewLink role={fresh.role} link={fresh.link} />}
      {error && <p class='error' role='alert'>{error}</p>}
      {list.error && <p class='error' role='alert'>The list of links could not be loaded: {list.error}</p>}
      <p class='visually-hidden' role='status'>{notice}</p>
      <h3>Links</h3>
      {list.loading && <p>Loading…</p>}
      {!list.loading && invites.length === 0 && !list.error && <p>No invite links yet.</p>}
      <ul class='link-list'>
        {invites.map((record) => (
          <InviteRow
            key={record.id}
            id={id}
            record={record}
            secret={known[record.id]}
            onRevoke={() => revoke(record, revokeQuestion(record))}
          />
        ))}
      </ul>
      {personal.length > 0 && (
        <>
          <h3>People who joined</h3>
          <p class='hint'>Each has their own access, kept when the link they joined with is revoked. Removing it cuts them off at once.</p>
          <ul class='link-list'>
            {personal.map((record) => (
              <PersonRow
                key={record.id}
                record={record}
                name={people.get(record.participant_id)?.name || 'A participant'}
                self={me?.participant_id === record.participant_id}
                onRevoke={(name) => revoke(record, `Remove ${name}'s access? They are cut off at once and cannot rejoin without a new link.`)}
              />
            ))}
          </ul>
        </>
      )}
    </div>
  )
}

function revokeQuestion (record) {
  const who = oneOf(record.role)
  const kept = record.role === 'viewer' ? '' : ' People who already joined with it keep their own access: remove theirs under "People who joined".'
  return `Revoke this ${who} link? Everyone using it is cut off at once and it will not open the workshop again.${kept}`
}

function MintForm ({ onMint }) {
  const [role, setRole] = useState('editor')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState(null)
  const submit = async (event) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await onMint(role)
    } catch (failure) {
      setError(failure.message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form class='inline-form mint-form' onSubmit={submit}>
      <div class='field'>
        <label for='mint-role'>Role of the new link</label>
        <select id='mint-role' value={role} onChange={(e) => setRole(e.currentTarget.value)}>
          {ROLES.map(([value, who, , what]) => <option key={value} value={value}>{who}: {what}</option>)}
        </select>
      </div>
      <button type='submit' disabled={busy}>{busy ? 'Making the link…' : 'Make a new link'}</button>
      {error && <p class='error' role='alert'>{error}</p>}
    </form>
  )
}

/** The link just made, shown first and focused so that it can be copied at once. */
function NewLink ({ role, link }) {
  const field = useRef(null)
  useEffect(() => field.current?.focus(), [link])
  const who = oneOf(role)
  return (
    <div class='panel new-link' role='group' aria-labelledby='new-link-heading'>
      <p id='new-link-heading'><strong>New {who} link</strong> <span class='muted'>({whatOf(role)})</span></p>
      <CopyField link={link} label={`New invite link for ${whoOf(role).toLowerCase()}`} fieldRef={field} />
    </div>
  )
}

function InviteRow ({ id, record, secret, onRevoke }) {
  const who = whoOf(record.role)
  const made = when(record.created_at)
  return (
    <li class={record.revoked ? 'link-card revoked' : 'link-card'}>
      <p class='link-title'>
        <strong>{who}</strong> <span class='muted'>({whatOf(record.role)})</span>
        {record.revoked && <span class='badge'>Revoked</span>}
      </p>
      <p class='muted small'>Made {made}</p>
      {!record.revoked && (secret
        ? <CopyField link={linkOf(id, secret)} label={`Invite link for ${who.toLowerCase()}, made ${made}`} />
        : <p class='small'>This link was made on another device: its address is not kept here.</p>)}
      {!record.revoked && (
        <button type='button' class='link-button danger' onClick={onRevoke}>
          Revoke<span class='visually-hidden'> the {oneOf(record.role)} link made {made}</span>
        </button>
      )}
    </li>
  )
}

function PersonRow ({ record, name, self, onRevoke }) {
  return (
    <li class={record.revoked ? 'link-card revoked' : 'link-card'}>
      <p class='link-title'>
        <strong>{name}</strong>{self && ' (you)'} <span class='muted'>({oneOf(record.role)})</span>
        {record.revoked && <span class='badge'>Access removed</span>}
      </p>
      <p class='muted small'>Joined {when(record.created_at)}</p>
      {!record.revoked && !self && (
        <button type='button' class='link-button danger' onClick={() => onRevoke(name)}>
          Remove access<span class='visually-hidden'> of {name}</span>
        </button>
      )}
    </li>
  )
}

/** A read-only link with a copy button and its "Copied" status. */
function CopyField ({ link, label, fieldRef }) {
  const [state, setState] = useState('')
  const own = useRef(null)
  const field = fieldRef || own
  const copy = async () => {
    field.current?.select()
    try {
      await navigator.clipboard.writeText(link)
      setState('Copied')
    } catch {
      setState('Copy it yourself: the link is selected')
    }
  }
  return (
    <div class='copy-field'>
      <input ref={field} readOnly value={link} aria-label={label} onFocus={(e) => e.currentTarget.select()} />
      <button type='button' onClick={copy}>Copy<span class='visually-hidden'> the {label.charAt(0).toLowerCase() + label.slice(1)}</span></button>
      <span role='status' class='muted small'>{state}</span>
    </div>
  )
}
