// The collaborative textarea's arithmetic (web/src/lib/textdiff.js): the edit a keystroke
// made, and where a caret goes under someone else's edit, checked against Yjs itself.
//   node --test web/test/
import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as Y from 'yjs'
import { diff, transform } from '../src/lib/textdiff.js'

function apply (text, { index, remove, insert }) {
  return text.slice(0, index) + insert + text.slice(index + remove)
}

/** A small deterministic generator, so a failure repeats. */
function random (seed) {
  let state = seed >>> 0
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state % n
  }
}

function randomText (next, max) {
  const letters = 'aab c\n'
  let out = ''
  for (let i = next(max); i > 0; i--) out += letters[next(letters.length)]
  return out
}

test('typing, deleting and replacing give one minimal edit', () => {
  assert.deepEqual(diff('hello', 'hello!'), { index: 5, remove: 0, insert: '!' })
  assert.deepEqual(diff('hello', 'hllo', 1), { index: 1, remove: 1, insert: '' })
  assert.deepEqual(diff('hello world', 'hello there', 11), { index: 6, remove: 5, insert: 'there' })
  assert.deepEqual(diff('same', 'same'), { index: 4, remove: 0, insert: '' })
  assert.deepEqual(diff('', 'new'), { index: 0, remove: 0, insert: 'new' })
})

test('in repeated text the edit is placed at the caret', () => {
  assert.deepEqual(diff('aa', 'aaa', 1), { index: 0, remove: 0, insert: 'a' })
  assert.deepEqual(diff('aa', 'aaa', 2), { index: 1, remove: 0, insert: 'a' })
  assert.deepEqual(diff('aa', 'aaa', 3), { index: 2, remove: 0, insert: 'a' })
  assert.deepEqual(diff('abab', 'ab', 0), { index: 0, remove: 2, insert: '' })
})

test('the edit always turns before into after, wherever the caret is', () => {
  const next = random(7)
  for (let i = 0; i < 2000; i++) {
    const before = randomText(next, 12)
    const after = randomText(next, 12)
    const caret = next(after.length + 1)
    const edit = diff(before, after, caret)
    assert.equal(apply(before, edit), after, JSON.stringify({ before, after, caret, edit }))
    assert.ok(edit.index >= 0 && edit.remove >= 0)
  }
})

test('a caret moves with the text around it, as a Yjs relative position does', () => {
  const next = random(11)
  for (let i = 0; i < 500; i++) {
    const local = new Y.Doc()
    const text = local.getText('t')
    text.insert(0, randomText(next, 15))
    const position = next(text.length + 1)
    // Sticks to the character before it: text inserted exactly there comes after the caret.
    const anchor = Y.createRelativePositionFromTypeIndex(text, position, -1)
    let delta = null
    text.observe((event) => { delta = event.delta })

    const remote = new Y.Doc()
    Y.applyUpdate(remote, Y.encodeStateAsUpdate(local))
    const theirs = remote.getText('t')
    remote.transact(() => {
      for (let edits = 1 + next(3); edits > 0; edits--) {
        const at = next(theirs.length + 1)
        if (next(2) === 0 && at < theirs.length) theirs.delete(at, 1 + next(Math.min(3, theirs.length - at)))
        else theirs.insert(at, randomText(next, 4) || 'x')
      }
    })
    Y.applyUpdate(local, Y.encodeStateAsUpdate(remote, Y.encodeStateVector(local)))
    if (delta === null) continue
    const expected = Y.createAbsolutePositionFromRelativePosition(anchor, local).index
    assert.equal(transform(position, delta), expected, JSON.stringify({ position, delta, text: text.toString() }))
  }
})

test('text inserted at the caret comes after it; deleted text pulls it back', () => {
  assert.equal(transform(3, [{ retain: 3 }, { insert: 'xy' }]), 3)
  assert.equal(transform(3, [{ retain: 2 }, { insert: 'xy' }]), 5)
  assert.equal(transform(3, [{ delete: 2 }]), 1)
  assert.equal(transform(3, [{ retain: 1 }, { delete: 5 }]), 1)
  assert.equal(transform(0, [{ insert: 'abc' }]), 0)
})
