// The server's HTTP API, with the tokens the page holds. Every failure is an ApiError
// carrying the server's error code and its plain-English message.

import { fileNameOf } from './download.js'

/** A failed API call: `code` is the server's error code (or `network`), `status` the HTTP status. */
export class ApiError extends Error {
  constructor (status, code, message) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
  }
}

/**
 * Sends one request with the page's tokens (`token` as `Authorization: Bearer`, `tokens` as
 * `?token=` parameters) and returns the response when it is a success; anything else
 * becomes an ApiError.
 */
async function send (method, path, { token, tokens, body, accept = 'application/json' } = {}) {
  const headers = { accept }
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
  if (response.ok) return response
  let payload = null
  try {
    payload = await response.json()
  } catch {
    payload = null
  }
  const code = payload && payload.error ? payload.error : 'http_' + response.status
  const message = payload && payload.message ? payload.message : `The server answered ${response.status}.`
  throw new ApiError(response.status, code, message)
}

/** A JSON call: the parsed answer, or null for 204 No Content. */
async function call (method, path, options) {
  const response = await send(method, path, options)
  if (response.status === 204) return null
  try {
    return await response.json()
  } catch {
    throw new ApiError(response.status, 'bad_answer', 'The server sent an answer the page cannot read.')
  }
}

/**
 * Creates a workshop: `{id, tokens: {facilitator, editor, viewer}}`. `createToken` is the
 * server's create token, when it was started with one (without it the answer is 401, with a
 * wrong one 403).
 */
export function createWorkshop (title, place, createToken = null) {
  return call('POST', '/api/workshops', { token: createToken || undefined, body: { title, place } })
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

/** The workshop's tokens (facilitator), secrets excepted: `[{id, role, kind, participant_id?, revoked, created_at}]`. */
export function listTokens (id, token) {
  return call('GET', `/api/workshops/${encodeURIComponent(id)}/tokens`, { token })
}

/** Revokes token `tokenId` (facilitator): its live connections are closed at once. */
export function revokeToken (id, token, tokenId) {
  return call('DELETE', `/api/workshops/${encodeURIComponent(id)}/tokens/${encodeURIComponent(tokenId)}`, { token })
}

/**
 * One of the workshop's exports (`xlsx`, `md` or `csv`; any role may read them):
 * `{blob, filename}`, the name being the one the server offers.
 */
export async function fetchExport (id, token, extension) {
  const response = await send('GET', `/api/workshops/${encodeURIComponent(id)}/export.${extension}`, { token, accept: '*/*' })
  let blob
  try {
    blob = await response.blob()
  } catch {
    throw new ApiError(0, 'network', 'The download was interrupted. Check your connection and try again.')
  }
  return { blob, filename: fileNameOf(response.headers.get('content-disposition'), `workshop.${extension}`) }
}
