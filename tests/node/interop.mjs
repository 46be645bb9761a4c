// Two real Yjs clients (y-websocket providers) on one workshop, driven by the Rust test
// `tests/tests/yjs_interop.rs`.
//
// Usage: node interop.mjs <server ws url, e.g. ws://127.0.0.1:PORT/ws> <workshop id> <token>
//
// The token (here the facilitator's, which may vote on anyone's behalf) goes to the server as
// the `token` query parameter, through the provider's `params` option.
//
// 1. Connects two providers, each with its own Y.Doc, and waits until both are synced.
// 2. Prints `ready` and waits for a line `go` on stdin (the Rust client edits at that moment).
// 3. In one tick, so that neither has seen the other's edits: `alpha` scores the factor
//    whole-system/shared-understanding 2 and agreed-priorities 4 with weight 3, `beta` scores
//    shared-understanding 3, and both type into shared-understanding's notes at position 0.
// 4. Waits until both docs hold the three votes on shared-understanding (the third is the
//    Rust client's) and the same notes.
// 5. Computes the whole-system score it expects from its own document (DOMAIN.md 5: the
//    weighted mean over factors of the median votes) and waits until both docs' `results`
//    map, written by the server, shows it.
// 6. Prints one JSON line with what it saw, destroys providers, awareness and docs, and exits 0.
//    Any failure prints a message on stderr and exits 1; a guard timer exits 2 if stuck.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { randomUUID } from 'node:crypto'
import { createInterface } from 'node:readline'

const WAIT_MS = 10_000
const GUARD_MS = 60_000
const ASPECT = 'whole-system'
const FACTOR = 'shared-understanding'
const SECOND = 'agreed-priorities'

const [serverUrl, room, token] = process.argv.slice(2)
if (!serverUrl || !room || !token) {
  console.error('usage: node interop.mjs <ws url> <workshop id> <token>')
  process.exit(1)
}

// A guard, not a timing check: a stuck run must still end.
setTimeout(() => {
  console.error(`interop: still running after ${GUARD_MS} ms, giving up`)
  process.exit(2)
}, GUARD_MS).unref()

const peers = ['alpha', 'beta'].map((name) => {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(serverUrl, room, doc, {
    WebSocketPolyfill: WebSocket,
    params: { token },
    // Two providers in one process would otherwise also sync through a BroadcastChannel,
    // bypassing the server under test.
    disableBc: true
  })
  provider.on('closed', ({ code, reason }) => {
    console.error(`interop: ${name} closed by the server: ${code} ${reason}`)
  })
  return { name, doc, provider, participant: randomUUID() }
})

const factorMap = (doc, factor) => doc.getMap('aspects').get(ASPECT)?.get('factors')?.get(factor)

/** Resolves once `predicate()` holds, re-checking after every change of any peer's doc. */
function waitFor (what, predicate) {
  return new Promise((resolve, reject) => {
    const check = () => {
      let value
      try {
        value = predicate()
      } catch (error) {
        return finish(error)
      }
      if (value) finish(null, value)
    }
    const timer = setTimeout(() => finish(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`)), WAIT_MS)
    const finish = (error, value) => {
      clearTimeout(timer)
      for (const { doc } of peers) doc.off('afterTransaction', check)
      error ? reject(error) : resolve(value)
    }
    for (const { doc } of peers) doc.on('afterTransaction', check)
    check()
  })
}

function waitSynced (peer) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${peer.name}: not synced after ${WAIT_MS} ms`)), WAIT_MS)
    const done = () => { clearTimeout(timer); resolve() }
    if (peer.provider.synced) return done()
    peer.provider.on('sync', (synced) => { if (synced) done() })
  })
}

async function readLine (expected) {
  const lines = createInterface({ input: process.stdin })
  try {
    for await (const line of lines) {
      if (line.trim() === expected) return
    }
    throw new Error(`stdin ended before \`${expected}\``)
  } finally {
    lines.close()
  }
}

const isVote = (v, lo, hi) => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi

function median (values) {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

function votes (map, lo, hi) {
  return map ? [...map.values()].filter((v) => isVote(v, lo, hi)) : []
}

/** The aspect's provisional score per DOMAIN.md 5, rounded to 3 decimals. */
function expectedAspectScore (doc) {
  let sum = 0
  let weights = 0
  for (const factor of doc.getMap('aspects').get(ASPECT).get('factors').values()) {
    const agreedScore = factor.get('agreed_score')
    const score = isVote(agreedScore, 1, 5) ? agreedScore : median(votes(factor.get('scores'), 1, 5))
    const agreedWeight = factor.get('agreed_weight')
    const weight = isVote(agreedWeight, 0, 3) ? agreedWeight : (median(votes(factor.get('weights'), 0, 3)) ?? 1)
    if (score !== null && weight > 0) {
      sum += weight * score
      weights += weight
    }
  }
  return weights === 0 ? null : Math.round((sum / weights) * 1000) / 1000
}

const resultAspect = (doc) => {
  const aspects = doc.getMap('results').get('aspects')
  return Array.isArray(aspects) ? aspects.find((entry) => entry.id === ASPECT) : undefined
}

function destroy () {
  for (const { doc, provider } of peers) {
    provider.destroy()
    provider.awareness.destroy()
    doc.destroy()
  }
}

async function main () {
  await Promise.all(peers.map(waitSynced))
  for (const { name, doc } of peers) {
    if (!factorMap(doc, FACTOR)) throw new Error(`${name}: no ${ASPECT}/${FACTOR} after sync`)
  }

  console.log('ready')
  await readLine('go')

  // One tick: neither doc can have received the other's edits in between.
  const [alpha, beta] = peers
  alpha.doc.transact(() => {
    factorMap(alpha.doc, FACTOR).get('scores').set(alpha.participant, 2)
    factorMap(alpha.doc, SECOND).get('scores').set(alpha.participant, 4)
    factorMap(alpha.doc, SECOND).get('weights').set(alpha.participant, 3)
    factorMap(alpha.doc, FACTOR).get('notes').insert(0, 'alpha ')
  })
  beta.doc.transact(() => {
    factorMap(beta.doc, FACTOR).get('scores').set(beta.participant, 3)
    factorMap(beta.doc, FACTOR).get('notes').insert(0, 'beta ')
  })

  // Key order of a Y.Map may differ between docs: compare sorted.
  const sorted = (object) => Object.fromEntries(Object.entries(object).sort())
  const snapshot = (doc) => ({
    scores: sorted(factorMap(doc, FACTOR).get('scores').toJSON()),
    notes: factorMap(doc, FACTOR).get('notes').toString()
  })
  const [a] = await waitFor('three votes and the same notes on both docs', () => {
    const [a, b] = peers.map(({ doc }) => snapshot(doc))
    const converged = Object.keys(a.scores).length === 3 &&
      JSON.stringify(a.scores) === JSON.stringify(b.scores) &&
      a.notes === b.notes && a.notes.includes('alpha ') && a.notes.includes('beta ')
    return converged ? [a, b] : null
  })

  const expected = expectedAspectScore(alpha.doc)
  const results = await waitFor(`results.aspects[${ASPECT}].score = ${expected} on both docs`, () => {
    const entries = peers.map(({ doc }) => resultAspect(doc))
    return entries.every((entry) => entry && entry.score === expected) ? entries : null
  }).catch((error) => {
    const seen = peers.map(({ name, doc }) => `${name}: ${JSON.stringify(resultAspect(doc))}`)
    throw new Error(`${error.message}; results seen: ${seen.join('; ')}`)
  })

  console.log(JSON.stringify({
    participants: { alpha: alpha.participant, beta: beta.participant },
    scores: a.scores,
    notes: a.notes,
    expected_score: expected,
    results: { alpha: results[0], beta: results[1] }
  }))
}

main().then(
  () => { destroy() },
  (error) => {
    console.error(`interop: ${error.message}`)
    destroy()
    process.exitCode = 1
  }
)
