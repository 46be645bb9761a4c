// The page's reading and writing of the workshop document (web/src/lib/model.js), against
// the shape of DOMAIN.md section 6.
//   node --test web/test/
import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as Y from 'yjs'
import {
  addAction, addFactor, addGap, addGroup, addHypothesis, addItem, aspects, canRemove, median, ordered,
  removeFactor, setActionItem, setOrClear, setVote, validInt, votes, SCORE, WEIGHT
} from '../src/lib/model.js'

function workshop () {
  const doc = new Y.Doc()
  doc.transact(() => {
    const all = doc.getMap('aspects')
    for (const [id, order] of [['capacity', 3], ['whole-system', 1]]) {
      const aspect = new Y.Map()
      aspect.set('title', id)
      aspect.set('order', order)
      aspect.set('notes', new Y.Text())
      aspect.set('quick', new Y.Map())
      aspect.set('factors', new Y.Map())
      all.set(id, aspect)
    }
  })
  return doc
}

/** Runs `write` and returns the updates it made. */
function updatesOf (doc, write) {
  const updates = []
  const listener = (update) => updates.push(update)
  doc.on('update', listener)
  const result = write()
  doc.off('update', listener)
  return { updates, result }
}

test('validInt takes integers and integral floats in range, nothing else', () => {
  assert.equal(validInt(3, SCORE), 3)
  assert.equal(validInt(3.0, SCORE), 3)
  for (const bad of [3.5, 0, 6, '3', null, undefined, true, NaN]) assert.equal(validInt(bad, SCORE), null, String(bad))
  assert.equal(validInt(0, WEIGHT), 0)
})

test('median as the engine computes it', () => {
  assert.equal(median([]), null)
  assert.equal(median([4]), 4)
  assert.equal(median([5, 1, 3]), 3)
  assert.equal(median([2, 4]), 3)
  assert.equal(median([1, 2, 4, 5]), 3)
})

test('entities come in order, then id; a missing order sorts last', () => {
  const doc = workshop()
  const all = doc.getMap('aspects')
  all.set('zeta', new Y.Map())
  assert.deepEqual(ordered(all).map(([id]) => id), ['whole-system', 'capacity', 'zeta'])
  assert.deepEqual(aspects(doc).map((a) => a.id), ['whole-system', 'capacity', 'zeta'])
})

test('a new factor comes with all its nested types, in one update, last in order', () => {
  const doc = workshop()
  const aspect = doc.getMap('aspects').get('whole-system')
  addFactor(aspect, 'First')
  const { updates, result: id } = updatesOf(doc, () => addFactor(aspect, 'Second'))
  assert.equal(updates.length, 1)
  const factor = aspect.get('factors').get(id)
  assert.ok(factor.get('notes') instanceof Y.Text)
  assert.ok(factor.get('scores') instanceof Y.Map)
  assert.ok(factor.get('weights') instanceof Y.Map)
  assert.equal(factor.get('order'), 2)
  assert.match(id, /^[0-9a-f-]{36}$/)
  assert.deepEqual(aspects(doc)[0].factors.map((f) => f.title), ['First', 'Second'])
  removeFactor(aspect, id)
  assert.deepEqual(aspects(doc)[0].factors.map((f) => f.title), ['First'])
})

test('votes are kept per participant; clearing removes the key', () => {
  const doc = workshop()
  const aspect = doc.getMap('aspects').get('whole-system')
  const factor = aspect.get('factors').get(addFactor(aspect, 'F'))
  setVote(factor, 'scores', 'ann', 4)
  setVote(factor, 'scores', 'bob', 2)
  factor.get('scores').set('eve', 3.5)
  assert.deepEqual(votes(factor.get('scores'), SCORE).sort(), [['ann', 4], ['bob', 2]])
  setVote(factor, 'scores', 'ann', null)
  assert.equal(factor.get('scores').has('ann'), false)
  setOrClear(factor, 'agreed_score', 5)
  assert.equal(factor.get('agreed_score'), 5)
  setOrClear(factor, 'agreed_score', null)
  assert.equal(factor.has('agreed_score'), false)
})

test('items, actions, hypotheses, gaps and groups are created whole', () => {
  const doc = workshop()
  const { updates, result: item } = updatesOf(doc, () =>
    addItem(doc, { kind: 'constraint', aspect: 'capacity', control: 'in_control', title: 'Funding' }))
  assert.equal(updates.length, 1)
  const entry = doc.getMap('items').get(item)
  assert.ok(entry.get('notes') instanceof Y.Text)
  assert.ok(entry.get('impact') instanceof Y.Map)
  assert.ok(entry.get('dots') instanceof Y.Map)
  assert.ok(!Number.isNaN(Date.parse(entry.get('created_at'))))
  assert.equal(entry.has('response'), false)

  const action = addAction(doc, { title: 'Act', items: [item] })
  const actionMap = doc.getMap('actions').get(action)
  assert.deepEqual(actionMap.get('items').toArray(), [item])
  assert.equal(actionMap.get('status'), 'proposed')
  setActionItem(actionMap, item, true)
  assert.deepEqual(actionMap.get('items').toArray(), [item], 'no duplicate link')
  setActionItem(actionMap, item, false)
  assert.deepEqual(actionMap.get('items').toArray(), [])

  const hypothesis = doc.getMap('hypotheses').get(addHypothesis(doc, 'H'))
  assert.ok(hypothesis.get('evidence') instanceof Y.Text)
  assert.equal(hypothesis.get('status'), 'proposed')
  const gap = doc.getMap('gaps').get(addGap(doc, 'Objective'))
  for (const field of ['objective', 'developments', 'rationale', 'implications']) assert.ok(gap.get(field) instanceof Y.Text, field)
  assert.equal(gap.get('objective').toString(), 'Objective')
  const group = doc.getMap('groups').get(addGroup(doc, 'Group A', ['capacity']))
  assert.deepEqual(group.get('aspects').toArray(), ['capacity'])
})

test('an editor may remove only what holds no one else\'s vote and nothing agreed', () => {
  const doc = workshop()
  const aspect = doc.getMap('aspects').get('whole-system')
  const factor = aspect.get('factors').get(addFactor(aspect, 'F'))
  const ann = { participant_id: 'ann' }
  const editor = { edit: true, facilitate: false }
  const facilitator = { edit: true, facilitate: true }
  const viewer = { edit: false, facilitate: false }
  assert.equal(canRemove(factor, ann, editor), true, 'empty')
  setVote(factor, 'scores', 'ann', 4)
  assert.equal(canRemove(factor, ann, editor), true, 'only her own vote')
  setVote(factor, 'weights', 'bob', 2)
  assert.equal(canRemove(factor, ann, editor), false, 'Bob voted')
  assert.equal(canRemove(factor, ann, facilitator), true)
  setVote(factor, 'weights', 'bob', null)
  setOrClear(factor, 'agreed_score', 3)
  assert.equal(canRemove(factor, ann, editor), false, 'agreed')
  assert.equal(canRemove(factor, null, viewer), false)
  const item = doc.getMap('items').get(addItem(doc, { kind: 'enabler', title: 'I' }))
  setVote(item, 'dots', 'bob', 1)
  assert.equal(canRemove(item, ann, editor), false, 'Bob put a dot on it')
})
