// One open workshop: its Yjs document, kept in IndexedDB on this device and synced with the
// server over the standard y-sync protocol (y-websocket), and the connection's status as the
// page shows it.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { IndexeddbPersistence } from 'y-indexeddb'
import * as authProtocol from 'y-protocols/auth'

/** Close codes after which reconnecting cannot help: the page says why and stops. */
const FINAL_CLOSES = {
  4400: 'This workshop address is not valid.',
  4401: 'This workshop needs an invite link.',
  4403: 'Your access to this workshop was refused or withdrawn. Ask the facilitator for a new invite link.',
  4404: 'There is no workshop at this address.'
}

/** How long to wait for this device's copy before connecting without it. */
const STORED_COPY_WAIT_MS = 3000

/** Message type of y-sync's auth message ("permission denied"). */
const MESSAGE_AUTH = 2

/**
 * Opens workshop `id` with `token`. `onChange` is called (with no argument) whenever the
 * status changes: read it from `workshop.status()`.
 */
export function openWorkshop (id, token, onChange) {
  const doc = new Y.Doc()
  const persistence = new IndexeddbPersistence('workshop-' + id, doc)
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  const provider = new WebsocketProvider(`${scheme}//${window.location.host}/ws`, id, doc, {
    params: { token },
    connect: false,
    // 4429 (too many updates) is "try again later", like every code outside FINAL_CLOSES.
    shouldReconnect: (event) => !(event.code in FINAL_CLOSES)
  })

  const state = {
    stored: false,
    connected: false,
    synced: false,
    browserOnline: navigator.onLine,
    unsent: false,
    refused: null,
    closed: null
  }
  const changed = () => onChange()

  provider.messageHandlers[MESSAGE_AUTH] = (_encoder, decoder) => {
    authProtocol.readAuthMessage(decoder, doc, (_doc, reason) => {
      state.refused = reason
      changed()
    })
  }
  provider.on('status', ({ status }) => {
    state.connected = status === 'connected'
    if (!state.connected) state.synced = false
    changed()
  })
  provider.on('sync', (synced) => {
    state.synced = synced
    if (synced) state.unsent = false
    changed()
  })
  provider.on('closed', (event) => {
    state.closed = FINAL_CLOSES[event.code] || `The server closed the connection (${event.code}).`
    changed()
  })
  // Local edits made while disconnected are sent on the next sync; until then say so.
  const onUpdate = (_update, origin) => {
    if (origin !== provider && origin !== persistence && !state.synced) {
      state.unsent = true
      changed()
    }
  }
  doc.on('update', onUpdate)
  // When the browser says the network is gone, an open socket can hang for a long time
  // before it fails: drop it at once (the page then shows "offline") and reconnect when the
  // network returns.
  const onOnline = () => {
    state.browserOnline = navigator.onLine
    if (!state.stored || state.closed) {
      changed()
      return
    }
    if (navigator.onLine) provider.connect()
    else provider.disconnect()
    changed()
  }
  window.addEventListener('online', onOnline)
  window.addEventListener('offline', onOnline)

  // Load this device's copy first, then connect: the first sync sends only what is missing.
  // Storage that cannot be opened (blocked, some private modes) must not keep the page from
  // the server: after a short wait it connects without the stored copy.
  let started = false
  const start = () => {
    if (started) return
    started = true
    state.stored = true
    changed()
    if (!state.closed && navigator.onLine) provider.connect()
  }
  persistence.whenSynced.then(start, start)
  const storedCopyTimer = setTimeout(start, STORED_COPY_WAIT_MS)

  return {
    id,
    doc,
    provider,
    awareness: provider.awareness,
    /**
     * `'offline' | 'syncing' | 'online' | 'stopped'` (the server refused a change or closed
     * the connection for good) and the details behind it.
     */
    status () {
      const mode = state.closed || state.refused
        ? 'stopped'
        : state.connected && state.synced ? 'online' : state.connected ? 'syncing' : 'offline'
      return { mode, ...state }
    },
    /** Forgets this device's copy (after a refused change) so that a reload starts from the server's. */
    async discardLocalCopy () {
      provider.disconnect()
      await persistence.clearData()
    },
    close () {
      clearTimeout(storedCopyTimer)
      doc.off('update', onUpdate)
      window.removeEventListener('online', onOnline)
      window.removeEventListener('offline', onOnline)
      provider.destroy()
      persistence.destroy()
      doc.destroy()
    }
  }
}
