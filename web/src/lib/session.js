// What the browser remembers about workshops, and for how long.
//
// - An invite link's token (`/w/{id}?token=…`) is kept for the browser session only
//   (sessionStorage): it survives a reload, not the closing of the tab.
// - A participant's identity (id, name, personal token, role) is kept on this device
//   (localStorage) so that votes stay theirs when they come back; "Leave" forgets it.
// - A workshop created here keeps its invite tokens on this device, so the facilitator can
//   return to it and share its links from the lobby.
// - Invite links made here (at creation or minted later) are kept on this device by their
//   public token id, so the facilitator's list of links can offer them again: the server
//   keeps only digests of the secrets.
// - The server's create token, once it worked, is kept for the browser session only.

const INVITE = 'workshop.invite.'
const IDENTITY = 'workshop.identity.'
const CREATED = 'workshop.created.'
const LINKS = 'workshop.links.'
const CREATE_TOKEN = 'workshop.create-token'

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

/** The invite links of workshop `id` made on this device: `{tokenId: secret}`. */
export function knownLinks (id) {
  const links = readJson(localStorage, LINKS + id)
  return links && typeof links === 'object' ? links : {}
}

/** Keeps the secret of invite token `tokenId` of workshop `id` on this device. */
export function rememberLink (id, tokenId, secret) {
  writeJson(localStorage, LINKS + id, { ...knownLinks(id), [tokenId]: secret })
}

/** The server's create token as entered in this browser session, or null. */
export function createToken () {
  const token = readJson(sessionStorage, CREATE_TOKEN)
  return typeof token === 'string' && token ? token : null
}

/** Keeps the server's create token for the session; null forgets it. */
export function saveCreateToken (token) {
  if (token) writeJson(sessionStorage, CREATE_TOKEN, token)
  else sessionStorage.removeItem(CREATE_TOKEN)
}

/** Forgets workshop `id` on this device: its tokens, identity and stored copy. */
export function forgetWorkshop (id) {
  localStorage.removeItem(CREATED + id)
  localStorage.removeItem(IDENTITY + id)
  localStorage.removeItem(LINKS + id)
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
