// The server's HTTP API, with the tokens the page holds. Every failure is an ApiError
// carrying the server's error code and its plain-English message.

/** A failed API call: `code` is the server's error code (or `network`), `status` the HTTP status. */
export class ApiError extends Error {
  constructor (status, code, message) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
  }
}

async function call (method, path, { token, tokens, body } = {}) {
  const headers = { accept: 'application/json' }
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  let url = path
  if (tokens && tokens.length > 0) {
    url += '?' + tokens.map((t) => 'token=' + encodeURIComponent(t)).join('&')
  }
  let response
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store'
    })
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection and try again.')
  }
  if (response.status === 204) return null
  let payload = null
  try {
    payload = await response.json()
  } catch {
    payload = null
  }
  if (!response.ok) {
    const code = payload && payload.error ? payload.error : 'http_' + response.status
    const message = payload && payload.message ? payload.message : `The server answered ${response.status}.`
    throw new ApiError(response.status, code, message)
  }
  return payload
}

/** Creates a workshop: `{id, tokens: {facilitator, editor, viewer}}`. */
export function createWorkshop (title, place) {
  return call('POST', '/api/workshops', { body: { title, place } })
}

/** Tokens sent on one list call: the query string stays well under the server's 2048 bytes. */
const TOKENS_PER_CALL = 30

/** The workshops any of `tokens` grants, most recently changed first. Tokens that grant nothing are ignored. */
export async function listWorkshops (tokens) {
  const seen = new Map()
  for (let i = 0; i < tokens.length; i += TOKENS_PER_CALL) {
    let batch = []
    try {
      batch = await call('GET', '/api/workshops', { tokens: tokens.slice(i, i + TOKENS_PER_CALL) })
    } catch (error) {
      if (error.status !== 403) throw error
    }
    for (const entry of batch) seen.set(entry.id, entry)
  }
  return [...seen.values()].sort((a, b) => (a.updated_at < b.updated_at ? 1 : a.updated_at > b.updated_at ? -1 : 0))
}

/** What `token` grants in workshop `id`: `{role, kind, participant_id?}`. */
export function access (id, token) {
  return call('GET', `/api/workshops/${encodeURIComponent(id)}/access`, { token })
}

/** Registers a participant: `{participant_id, token, role}`. */
export function register (id, token, participant) {
  return call('POST', `/api/workshops/${encodeURIComponent(id)}/participants`, { token, body: participant })
}

/** Mints an invite token (facilitator): `{id, token, role, kind}`. */
export function mintInvite (id, token, role) {
  return call('POST', `/api/workshops/${encodeURIComponent(id)}/tokens`, { token, body: { role } })
}
