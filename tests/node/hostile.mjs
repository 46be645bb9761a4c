// Writes random and hostile documents into workshops with unmodified Yjs clients
// (y-websocket providers), for the differential test of the engine `tests/tests/hostile.rs`.
//
// Usage: node hostile.mjs <server ws url, e.g. ws://127.0.0.1:PORT/ws>
//
// Reads one JSON line per document on stdin: {seq, room, token, edits: {reset, ops}}, the edits
// made by `workshop_tests::hostile::edits`. For each line, in order:
//
// 1. Connects a provider to `room` with `token` (one per room, kept for later lines) and waits
//    until it is synced.
// 2. In one transaction: when `reset`, deletes every key of every root in `cleared`; then
//    applies each op: walks `at` from its root map, creating a Y.Map where a key is missing and
//    skipping the op where it meets anything but a Y.Map, and sets (or deletes) `key`.
// 3. Prints {seq, client, clock}: the provider's client id and its clock after the edits, so
//    the test can wait until the server holds them.
//
// Exits 0 when stdin closes. Any failure prints a message on stderr and exits 1; a guard timer
// exits 2 if a connection never syncs.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { createInterface } from 'node:readline'

const SYNC_MS = 20_000

const [serverUrl, ...cleared] = process.argv.slice(2)
if (!serverUrl) {
  console.error('usage: node hostile.mjs <ws url> <cleared root>...')
  process.exit(1)
}

const providers = new Map()

/** The synced provider of `room`, connected with `token` the first time. */
async function providerOf (room, token) {
  let entry = providers.get(room)
  if (!entry) {
    const doc = new Y.Doc()
    const provider = new WebsocketProvider(serverUrl, room, doc, {
      WebSocketPolyfill: WebSocket,
      params: { token },
      disableBc: true
    })
    provider.on('connection-close', (event) => {
      if (event) console.error(`hostile: ${room} closed by the server: ${event.code} ${event.reason}`)
    })
    entry = { doc, provider }
    providers.set(room, entry)
  }
  const { provider } = entry
  if (!provider.synced) {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        console.error(`hostile: ${room} did not sync within ${SYNC_MS} ms`)
        process.exit(2)
      }, SYNC_MS)
      const done = (synced) => {
        if (!synced) return
        clearTimeout(timer)
        provider.off('sync', done)
        resolve()
      }
      provider.on('sync', done)
    })
  }
  return entry
}

/** The JavaScript value (or new Yjs type) a `hostile::Value` describes. */
function build (value) {
  if (value === 'undefined') return undefined
  if ('json' in value) return value.json
  if ('float' in value) return Number(value.float)
  if ('big_int' in value) return BigInt(value.big_int)
  if ('bytes' in value) return Uint8Array.from(value.bytes)
  if ('map' in value) {
    const map = new Y.Map()
    for (const [key, entry] of value.map) map.set(key, build(entry))
    return map
  }
  if ('array' in value) {
    const array = new Y.Array()
    array.push(value.array.map(build))
    return array
  }
  if ('text' in value) return new Y.Text(value.text)
  throw new Error(`unknown value ${JSON.stringify(value)}`)
}

/** The Y.Map at `path` (root first), created where missing; null past anything else. */
function mapAt (doc, path) {
  let map = doc.getMap(path[0])
  for (const key of path.slice(1)) {
    let next = map.get(key)
    if (next === undefined && !map.has(key)) {
      next = new Y.Map()
      map.set(key, next)
    }
    if (!(next instanceof Y.Map)) return null
    map = next
  }
  return map
}

function apply (doc, { reset, ops }) {
  doc.transact(() => {
    if (reset) {
      for (const root of cleared) {
        const map = doc.getMap(root)
        for (const key of Array.from(map.keys())) map.delete(key)
      }
    }
    for (const op of ops) {
      const map = mapAt(doc, op.at)
      if (map === null) continue
      if (op.set === undefined) {
        map.delete(op.key)
      } else {
        map.set(op.key, build(op.set))
      }
    }
  })
}

const lines = createInterface({ input: process.stdin })
for await (const line of lines) {
  if (!line.trim()) continue
  try {
    const { seq, room, token, edits } = JSON.parse(line)
    const { doc } = await providerOf(room, token)
    apply(doc, edits)
    const clock = Y.getState(doc.store, doc.clientID)
    console.log(JSON.stringify({ seq, client: doc.clientID, clock }))
  } catch (error) {
    console.error(`hostile: ${error.stack || error}\nwhile writing ${line}`)
    process.exit(1)
  }
}
for (const { doc, provider } of providers.values()) {
  provider.destroy()
  doc.destroy()
}
process.exit(0)
