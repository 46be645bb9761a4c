// Opening a workshop: the invite token from the address, what it grants, joining as a
// participant (once per device), then the live workshop.
import { useEffect, useMemo, useState } from 'preact/hooks'
import { access, register } from '../lib/api.js'
import { adoptInviteFromAddress, identity, inviteToken, saveIdentity } from '../lib/session.js'
import { JoinForm } from './JoinForm.jsx'
import { Workshop } from './Workshop.jsx'
import { useTitle } from './useTitle.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function WorkshopPage ({ id }) {
  useMemo(() => adoptInviteFromAddress(id), [id])
  const [me, setMe] = useState(() => identity(id))
  const [grant, setGrant] = useState({ loading: !identity(id), role: null, error: null })
  const invite = inviteToken(id)

  useEffect(() => {
    if (me || !invite || !UUID.test(id)) return
    access(id, invite)
      .then((answer) => setGrant({ loading: false, role: answer.role, error: null }))
      .catch((error) => setGrant({ loading: false, role: null, error }))
  }, [id, me, invite])

  if (!UUID.test(id)) {
    return <Problem title='Not a workshop address'>This address does not name a workshop. Check the link you were sent.</Problem>
  }
  if (me) return <Workshop id={id} token={me.token} me={me} role={me.access} />
  if (!invite) {
    return <Problem title='You need an invite link'>Open the invite link the facilitator sent you to join this workshop.</Problem>
  }
  if (grant.loading) return <main><h1>Opening the workshop…</h1></main>
  if (grant.error) {
    const offline = grant.error.code === 'network'
    return (
      <Problem title={offline ? 'No connection' : 'This invite link does not work'}>
        {offline ? 'Joining a workshop for the first time needs a connection. Try again when you are online.' : grant.error.message}
      </Problem>
    )
  }
  if (grant.role === 'viewer') return <Workshop id={id} token={invite} me={null} role='viewer' />

  const join = async (details) => {
    const answer = await register(id, invite, details)
    const joined = { ...details, participant_id: answer.participant_id, token: answer.token, access: answer.role }
    saveIdentity(id, joined)
    setMe(joined)
  }
  return <JoinForm id={id} token={invite} facilitator={grant.role === 'facilitator'} onJoin={join} />
}

function Problem ({ title, children }) {
  useTitle(title)
  return (
    <main class='problem'>
      <h1>{title}</h1>
      <p>{children}</p>
      <p><a href='/'>Go to the lobby</a></p>
    </main>
  )
}
