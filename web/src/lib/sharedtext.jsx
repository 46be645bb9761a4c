// A textarea bound to a Y.Text: typing becomes minimal inserts and deletes, so concurrent
// typing in the same note merges character by character, and a remote change moves the
// caret and selection with the text around them instead of making them jump.

import { useEffect, useRef } from 'preact/hooks'
import * as Y from 'yjs'

/** The single edit that turns `before` into `after`: `{index, remove, insert}`. */
export function diff (before, after) {
  let start = 0
  const shortest = Math.min(before.length, after.length)
  while (start < shortest && before[start] === after[start]) start++
  let end = 0
  while (
    end < shortest - start &&
    before[before.length - 1 - end] === after[after.length - 1 - end]
  ) end++
  return {
    index: start,
    remove: before.length - start - end,
    insert: after.slice(start, after.length - end)
  }
}

/**
 * Where `position` (an offset in the text before the change) goes after a Yjs text delta.
 * Text inserted exactly at the position comes after it.
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

/**
 * `<SharedText text={ytext} label="…" />`: a labelled, collaborative textarea. With
 * `readOnly`, it shows the text live but does not edit it.
 */
export function SharedText ({ text, label, id, readOnly = false, rows = 3, onFocus }) {
  const ref = useRef(null)
  useEffect(() => {
    const area = ref.current
    if (!area || !(text instanceof Y.Text)) return undefined
    const origin = {}
    let composing = false
    let shown = text.toString()
    area.value = shown

    const onInput = () => {
      if (composing) return
      const { index, remove, insert } = diff(shown, area.value)
      shown = area.value
      if (remove === 0 && insert === '') return
      text.doc.transact(() => {
        if (remove > 0) text.delete(index, remove)
        if (insert) text.insert(index, insert)
      }, origin)
    }
    const onCompositionStart = () => { composing = true }
    const onCompositionEnd = () => {
      composing = false
      onInput()
    }
    const observer = (event) => {
      if (event.transaction.origin === origin) return
      const focused = document.activeElement === area
      const start = transform(area.selectionStart, event.delta)
      const end = transform(area.selectionEnd, event.delta)
      shown = text.toString()
      area.value = shown
      if (focused) area.setSelectionRange(start, end, area.selectionDirection)
    }
    area.addEventListener('input', onInput)
    area.addEventListener('compositionstart', onCompositionStart)
    area.addEventListener('compositionend', onCompositionEnd)
    text.observe(observer)
    return () => {
      area.removeEventListener('input', onInput)
      area.removeEventListener('compositionstart', onCompositionStart)
      area.removeEventListener('compositionend', onCompositionEnd)
      text.unobserve(observer)
    }
  }, [text])

  const fieldId = id || undefined
  return (
    <textarea
      ref={ref}
      id={fieldId}
      class='shared-text'
      aria-label={label}
      rows={rows}
      readOnly={readOnly || !(text instanceof Y.Text)}
      onFocus={onFocus}
    />
  )
}
