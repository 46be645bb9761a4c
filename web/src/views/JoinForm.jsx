// Joining a workshop, asked once per device: who you are, your world and breakout group.
// The groups come from the workshop's document, read over the invite token before joining.
import { useEffect, useState } from 'preact/hooks'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { groups as readGroups, meta as readMeta, ROLES, WORLDS } from '../lib/model.js'
import { useTitle } from './useTitle.js'

export function JoinForm ({ id, token, facilitator, onJoin }) {
  const [form, setForm] = useState({
    name: '',
    organisation: '',
    role: facilitator ? 'facilitator' : 'commissioner',
    world: 'management',
    group: ''
  })
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState(null)
  const [info, setInfo] = useState({ title: '', groups: [] })
  useTitle(info.title ? `Join ${info.title}` : 'Join the workshop')

  useEffect(() => {
    // A short-lived read-only look at the document for its title and breakout groups.
    const doc = new Y.Doc()
    const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
    const provider = new WebsocketProvider(`${scheme}//${window.location.host}/ws`, id, doc, { params: { token } })
    provider.on('sync', (synced) => {
      if (synced) setInfo({ title: readMeta(doc).title, groups: readGroups(doc) })
    })
    return () => {
      provider.destroy()
      doc.destroy()
    }
  }, [id, token])

  const set = (key) => (event) => setForm({ ...form, [key]: event.currentTarget.value })
  const roles = facilitator ? ROLES : ROLES.filter(([value]) => value !== 'facilitator')
  const submit = async (event) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await onJoin({ ...form, name: form.name.trim(), organisation: form.organisation.trim() })
    } catch (failure) {
      setError(failure.message)
      setBusy(false)
    }
  }
  return (
    <main class='join'>
      <h1>{info.title ? `Join “${info.title}”` : 'Join the workshop'}</h1>
      <p>Tell the other partners who you are. This device remembers you, so your votes stay yours.</p>
      <form onSubmit={submit} class='panel'>
        <label for='join-name'>Your name</label>
        <input id='join-name' required maxLength={200} autoComplete='name' value={form.name} onInput={set('name')} />
        <label for='join-organisation'>Organisation</label>
        <input id='join-organisation' maxLength={200} autoComplete='organization' value={form.organisation} onInput={set('organisation')} />
        <label for='join-role'>Role</label>
        <select id='join-role' value={form.role} onChange={set('role')}>
          {roles.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
        </select>
        <label for='join-world'>World</label>
        <p class='hint' id='join-world-hint'>The perspective you bring: the people who use services (customer), those who deliver them (service), those who manage them, or elected members (political).</p>
        <select id='join-world' aria-describedby='join-world-hint' value={form.world} onChange={set('world')}>
          {WORLDS.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
        </select>
        <label for='join-group'>Breakout group</label>
        <select id='join-group' value={form.group} onChange={set('group')}>
          <option value=''>No group</option>
          {info.groups.map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}
        </select>
        {error && <p class='error' role='alert'>{error}</p>}
        <button type='submit' disabled={busy}>{busy ? 'Joining…' : 'Join'}</button>
      </form>
    </main>
  )
}
