// The text arithmetic of a collaborative textarea, pure: the edit a keystroke made, and
// where a caret goes when someone else's edit arrives.

/**
 * The single edit `{index, remove, insert}` that turns `before` into `after`. `caret`, the
 * caret's offset in `after` once the edit is made, places the edit where it was typed when
 * the text around it repeats: typing "a" at the start of "aa" inserts at 0, not at 2.
 */
export function diff (before, after, caret = after.length) {
  const shortest = Math.min(before.length, after.length)
  // The common tail may not reach back over the caret: the edit ends at the caret.
  const tailLimit = Math.min(shortest, Math.max(0, after.length - caret))
  let end = 0
  while (end < tailLimit && before[before.length - 1 - end] === after[after.length - 1 - end]) end++
  let start = 0
  while (start < shortest - end && before[start] === after[start]) start++
  return {
    index: start,
    remove: before.length - start - end,
    insert: after.slice(start, after.length - end)
  }
}

/**
 * Where `position` (an offset in the text before a change) goes after a Yjs text delta
 * (`[{retain}, {insert}, {delete}]`). Text inserted exactly at the position comes after it.
 */
export function transform (position, delta) {
  let cursor = 0 // offset in the text before the change
  let result = position
  for (const op of delta) {
    if (cursor >= position) break
    if (op.retain !== undefined) {
      cursor += op.retain
    } else if (op.insert !== undefined) {
      result += typeof op.insert === 'string' ? op.insert.length : 1
    } else if (op.delete !== undefined) {
      result -= Math.min(op.delete, position - cursor)
      cursor += op.delete
    }
  }
  return Math.max(0, result)
}
