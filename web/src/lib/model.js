// Reading and writing the workshop document (DOMAIN.md section 6). Readers turn Yjs types
// into plain values in display order; writers change one thing each, in one transaction,
// and create every nested type of a new entity in that same transaction.

import * as Y from 'yjs'
import schema from './schema.json' with { type: 'json' }

// The enumerations, ranges and removal rule of the document come from `schema.json`, which a
// test of the shared crate checks against the server's own (shared/tests/page_schema.rs).
const range = ([min, max]) => ({ min, max })
export const SCORE = range(schema.ranges.score)
export const WEIGHT = range(schema.ranges.weight)
export const IMPACT = range(schema.ranges.impact)
export const DOTS = range(schema.ranges.dots)
export const RELEVANCE = range(schema.ranges.relevance)

export const SCORE_MEANINGS = {
  1: 'major area for development',
  2: 'needs development',
  3: 'adequate',
  4: 'good',
  5: 'real strength'
}
export const WEIGHT_MEANINGS = { 0: 'not relevant here', 1: 'low', 2: 'medium', 3: 'high' }

/** `[value, label]` pairs of the schema's `values`, in its order, labelled from `labels`. */
function labelled (values, labels) {
  return values.map((value) => [value, labels[value] ?? value])
}

export const ROLES = labelled(schema.roles, {
  facilitator: 'Facilitator',
  commissioner: 'Commissioner',
  provider: 'Provider',
  user_carer: 'Service user or carer',
  stakeholder: 'Other stakeholder'
})
export const WORLDS = labelled(schema.worlds, {
  customer: 'Customer',
  service: 'Service',
  management: 'Management',
  political: 'Political'
})
export const CONTROLS = labelled(schema.controls, {
  in_control: 'In our control',
  can_influence: 'We can influence',
  outside_control: 'Outside our control'
})
export const RESPONSES = [
  ['remove', 'Remove'],
  ['boost', 'Boost'],
  ['influence', 'Influence'],
  ['experiment', 'Experiment']
]
export const ACTION_STATUSES = labelled(schema.action_statuses, {
  proposed: 'Proposed',
  agreed: 'Agreed',
  in_progress: 'In progress',
  done: 'Done',
  dropped: 'Dropped'
})
export const HYPOTHESIS_STATUSES = labelled(schema.hypothesis_statuses, {
  proposed: 'Proposed',
  investigating: 'Investigating',
  accepted: 'Accepted',
  refuted: 'Refuted'
})

/** A valid integer in `range`, from an integer or an integral float; otherwise null. */
export function validInt (value, range) {
  if (typeof value !== 'number' || !Number.isInteger(value)) return null
  return value >= range.min && value <= range.max ? value : null
}

/** Median of numbers (DOMAIN.md section 5), or null for none. */
export function median (values) {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

function str (value) {
  return typeof value === 'string' ? value : ''
}

function orderKey (map) {
  const order = map instanceof Y.Map ? map.get('order') : undefined
  return typeof order === 'number' && Number.isFinite(order) ? order : Infinity
}

/** Entries of a map of maps, in entity order (DOMAIN.md 5.1 rule 1). */
export function ordered (map) {
  if (!(map instanceof Y.Map)) return []
  const entries = []
  map.forEach((value, id) => {
    if (value instanceof Y.Map) entries.push([id, value])
  })
  entries.sort(([a, x], [b, y]) => {
    const ox = orderKey(x)
    const oy = orderKey(y)
    if (ox !== oy) return ox < oy ? -1 : 1
    return a < b ? -1 : a > b ? 1 : 0
  })
  return entries
}

/** Entries in creation order (`created_at`, then id). */
export function byCreation (map) {
  if (!(map instanceof Y.Map)) return []
  const entries = []
  map.forEach((value, id) => {
    if (value instanceof Y.Map) entries.push([id, value])
  })
  entries.sort(([a, x], [b, y]) => {
    const cx = str(x.get('created_at'))
    const cy = str(y.get('created_at'))
    if (cx !== cy) return cx < cy ? -1 : 1
    return a < b ? -1 : a > b ? 1 : 0
  })
  return entries
}

function nextOrder (map) {
  let highest = 0
  map.forEach((value) => {
    const order = value instanceof Y.Map ? value.get('order') : undefined
    if (typeof order === 'number' && Number.isFinite(order) && order > highest) highest = order
  })
  return highest + 1
}

/** Valid votes of a vote map: `[[participant, value]]`. */
export function votes (map, range) {
  const out = []
  if (!(map instanceof Y.Map)) return out
  map.forEach((value, participant) => {
    const valid = validInt(value, range)
    if (valid !== null) out.push([participant, valid])
  })
  return out
}

export function root (doc, name) {
  return doc.getMap(name)
}

/** The figures the server computed: the fields of DOMAIN.md section 7. */
export function results (doc) {
  return doc.getMap('results').toJSON()
}

export function meta (doc) {
  const m = doc.getMap('meta')
  return {
    title: str(m.get('title')),
    place: str(m.get('place')),
    selectedApproach: typeof m.get('selected_approach') === 'string' ? m.get('selected_approach') : null
  }
}

/** Aspects in order: `[{id, title, map, factors: [{id, title, map}]}]`. */
export function aspects (doc) {
  return ordered(doc.getMap('aspects')).map(([id, map]) => ({
    id,
    title: str(map.get('title')) || id,
    map,
    factors: ordered(map.get('factors')).map(([fid, fmap]) => ({
      id: fid,
      title: str(fmap.get('title')) || fid,
      map: fmap
    }))
  }))
}

export function approaches (doc) {
  return ordered(doc.getMap('approaches')).map(([id, map]) => ({
    id,
    title: str(map.get('title')) || id,
    map
  }))
}

export function participants (doc) {
  const out = new Map()
  doc.getMap('participants').forEach((value, id) => {
    if (value instanceof Y.Map) {
      out.set(id, {
        id,
        name: str(value.get('name')) || 'Unnamed',
        organisation: str(value.get('organisation')),
        role: str(value.get('role')),
        world: str(value.get('world')),
        group: str(value.get('group'))
      })
    }
  })
  return out
}

export function groups (doc) {
  return ordered(doc.getMap('groups')).map(([id, map]) => {
    const list = map.get('aspects')
    return {
      id,
      name: str(map.get('name')) || 'Unnamed group',
      aspects: list instanceof Y.Array ? list.toArray().filter((a) => typeof a === 'string') : [],
      map
    }
  })
}

function newId () {
  return crypto.randomUUID()
}

function nowIso () {
  return new Date().toISOString()
}

/** Sets `key` of `map` to `value`, or removes it when `value` is null (a cleared value). */
export function setOrClear (map, key, value) {
  map.doc.transact(() => {
    if (value === null || value === undefined || value === '') map.delete(key)
    else map.set(key, value)
  })
}

/** A participant's vote in a vote map (`scores`, `weights`, `quick`, `impact`, `dots`). */
export function setVote (parent, mapKey, participant, value) {
  const map = parent.get(mapKey)
  if (!(map instanceof Y.Map)) return
  setOrClear(map, participant, value)
}

export function addFactor (aspect, title) {
  const factors = aspect.get('factors')
  if (!(factors instanceof Y.Map)) return null
  const id = newId()
  aspect.doc.transact(() => {
    const factor = new Y.Map()
    factor.set('title', title)
    factor.set('order', nextOrder(factors))
    factor.set('notes', new Y.Text())
    factor.set('scores', new Y.Map())
    factor.set('weights', new Y.Map())
    factors.set(id, factor)
  })
  return id
}

/**
 * Whether removing `map` (a factor or an item, with its votes) is a write `me` may make: a
 * facilitator may always; an editor only while every vote in it is its own and nothing in it
 * is agreed (the server refuses the removal of anyone else's vote or of an agreed value).
 */
export function canRemove (map, me, can) {
  if (can.facilitate) return true
  if (!can.edit || !me || !(map instanceof Y.Map)) return false
  for (const key of schema.removal.agreed) {
    if (map.get(key) !== undefined && map.get(key) !== null) return false
  }
  for (const key of schema.removal.votes) {
    const votes = map.get(key)
    if (votes instanceof Y.Map) {
      for (const participant of votes.keys()) if (participant !== me.participant_id) return false
    }
  }
  return true
}

export function removeFactor (aspect, factorId) {
  const factors = aspect.get('factors')
  if (factors instanceof Y.Map) factors.delete(factorId)
}

export function addItem (doc, { kind, aspect, control, response, title }) {
  const id = newId()
  doc.transact(() => {
    const item = new Y.Map()
    item.set('kind', kind)
    if (aspect) item.set('aspect', aspect)
    item.set('title', title)
    item.set('notes', new Y.Text())
    if (control) item.set('control', control)
    if (response) item.set('response', response)
    item.set('impact', new Y.Map())
    item.set('dots', new Y.Map())
    item.set('created_at', nowIso())
    doc.getMap('items').set(id, item)
  })
  return id
}

export function items (doc) {
  return byCreation(doc.getMap('items')).map(([id, map]) => ({
    id,
    kind: str(map.get('kind')),
    title: str(map.get('title')),
    aspect: str(map.get('aspect')),
    control: str(map.get('control')),
    response: str(map.get('response')),
    map
  }))
}

export function addAction (doc, { title, owner, due, status, aspect, items: linked }) {
  const id = newId()
  doc.transact(() => {
    const action = new Y.Map()
    action.set('title', title)
    const list = new Y.Array()
    if (linked && linked.length) list.push(linked)
    action.set('items', list)
    if (owner) action.set('owner', owner)
    if (due) action.set('due', due)
    action.set('status', status || 'proposed')
    if (aspect) action.set('aspect', aspect)
    action.set('created_at', nowIso())
    doc.getMap('actions').set(id, action)
  })
  return id
}

export function actions (doc) {
  return byCreation(doc.getMap('actions')).map(([id, map]) => {
    const list = map.get('items')
    return {
      id,
      title: str(map.get('title')),
      owner: str(map.get('owner')),
      due: str(map.get('due')),
      status: str(map.get('status')),
      aspect: str(map.get('aspect')),
      items: list instanceof Y.Array ? list.toArray().filter((x) => typeof x === 'string') : [],
      map
    }
  })
}

/** Links or unlinks item `itemId` and action `action` (its `items` array). */
export function setActionItem (action, itemId, linked) {
  const list = action.get('items')
  if (!(list instanceof Y.Array)) return
  action.doc.transact(() => {
    const present = list.toArray()
    if (linked && !present.includes(itemId)) list.push([itemId])
    if (!linked) {
      for (let i = present.length - 1; i >= 0; i--) if (present[i] === itemId) list.delete(i, 1)
    }
  })
}

export function addHypothesis (doc, statement) {
  const id = newId()
  const hypotheses = doc.getMap('hypotheses')
  doc.transact(() => {
    const h = new Y.Map()
    h.set('statement', statement)
    h.set('status', 'proposed')
    h.set('evidence', new Y.Text())
    h.set('order', nextOrder(hypotheses))
    hypotheses.set(id, h)
  })
  return id
}

export function hypotheses (doc) {
  return ordered(doc.getMap('hypotheses')).map(([id, map]) => ({
    id,
    statement: str(map.get('statement')),
    status: str(map.get('status')),
    map
  }))
}

export const GAP_FIELDS = [
  ['objective', 'Strategic objective'],
  ['developments', 'The gap / service developments'],
  ['rationale', 'Rationale'],
  ['implications', 'Commissioning implications']
]

export function addGap (doc, objective) {
  const id = newId()
  const gaps = doc.getMap('gaps')
  doc.transact(() => {
    const gap = new Y.Map()
    for (const [field] of GAP_FIELDS) gap.set(field, new Y.Text(field === 'objective' ? objective : ''))
    gap.set('order', nextOrder(gaps))
    gaps.set(id, gap)
  })
  return id
}

export function gaps (doc) {
  return ordered(doc.getMap('gaps')).map(([id, map]) => ({ id, map }))
}

export function addGroup (doc, name, aspectIds) {
  const id = newId()
  const all = doc.getMap('groups')
  doc.transact(() => {
    const group = new Y.Map()
    group.set('name', name)
    const list = new Y.Array()
    if (aspectIds.length) list.push(aspectIds)
    group.set('aspects', list)
    group.set('order', nextOrder(all))
    all.set(id, group)
  })
  return id
}

/** Removes an entity from a root map (`items`, `actions`, `hypotheses`, `gaps`, `groups`). */
export function removeEntity (doc, rootName, id) {
  doc.getMap(rootName).delete(id)
}

/** Counts `{value: n}` of valid votes. */
export function distribution (list) {
  return list.map(([, value]) => value)
}
