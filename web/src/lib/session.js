// What the browser remembers about workshops, and for how long.
//
// - An invite link's token (`/w/{id}?token=…`) is kept for the browser session only
//   (sessionStorage): it survives a reload, not the closing of the tab.
// - A participant's identity (id, name, personal token, role) is kept on this device
//   (localStorage) so that votes stay theirs when they come back; "Leave" forgets it.
// - A workshop created here keeps its invite tokens on this device, so the facilitator can
//   return to it and share its links from the lobby.

const INVITE = 'workshop.invite.'
const IDENTITY = 'workshop.identity.'
const CREATED = 'workshop.created.'

function readJson (storage, key) {
  try {
    const raw = storage.getItem(key)
    return raw ? JSON.parse(raw) : null
  } catch {
    return null
  }
}

function writeJson (storage, key, value) {
  try {
    storage.setItem(key, JSON.stringify(value))
  } catch {
    // Storage full or disabled: the page still works for this visit.
  }
}

/** Takes `?token=` off the address (so it is not left in history) and keeps it for the session. */
export function adoptInviteFromAddress (id) {
  const url = new URL(window.location.href)
  const token = url.searchParams.get('token')
  if (token) {
    writeJson(sessionStorage, INVITE + id, token)
    url.searchParams.delete('token')
    window.history.replaceState(null, '', url.pathname + url.search + url.hash)
  }
}

/** The invite token of this session for workshop `id`, if any. */
export function inviteToken (id) {
  return readJson(sessionStorage, INVITE + id) || (createdWorkshop(id) || {}).tokens?.facilitator || null
}

/**
 * `{participant_id, token, access, name, organisation, role, world, group}` or null: `access`
 * is the personal token's role (`facilitator` or `editor`), `role` the participant's.
 */
export function identity (id) {
  return readJson(localStorage, IDENTITY + id)
}

export function saveIdentity (id, value) {
  writeJson(localStorage, IDENTITY + id, value)
}

export function forgetIdentity (id) {
  localStorage.removeItem(IDENTITY + id)
}

/** A workshop created on this device: `{id, title, place, tokens}`. */
export function createdWorkshop (id) {
  return readJson(localStorage, CREATED + id)
}

export function saveCreated (workshop) {
  writeJson(localStorage, CREATED + workshop.id, workshop)
}

/** Forgets workshop `id` on this device: its tokens, identity and stored copy. */
export function forgetWorkshop (id) {
  localStorage.removeItem(CREATED + id)
  localStorage.removeItem(IDENTITY + id)
  sessionStorage.removeItem(INVITE + id)
  try {
    indexedDB.deleteDatabase('workshop-' + id)
  } catch {
    // No IndexedDB here: nothing was stored.
  }
}

/** Every token this browser holds, for the lobby's list. */
export function allTokens () {
  const tokens = new Set()
  for (const storage of [localStorage, sessionStorage]) {
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i)
      if (!key) continue
      const value = readJson(storage, key)
      if (key.startsWith(IDENTITY) && value?.token) tokens.add(value.token)
      if (key.startsWith(CREATED) && value?.tokens?.facilitator) tokens.add(value.tokens.facilitator)
      if (key.startsWith(INVITE) && typeof value === 'string') tokens.add(value)
    }
  }
  return [...tokens]
}

/** The token to open workshop `id` with: the participant's own, else the session's invite. */
export function workingToken (id) {
  return identity(id)?.token || inviteToken(id)
}
