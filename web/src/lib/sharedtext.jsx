// A textarea bound to a Y.Text: typing becomes minimal inserts and deletes, so concurrent
// typing in the same note merges character by character, and a remote change moves the
// caret and selection with the text around them instead of making them jump.

import { useEffect, useRef } from 'preact/hooks'
import * as Y from 'yjs'
import { diff, transform } from './textdiff.js'

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
      const { index, remove, insert } = diff(shown, area.value, area.selectionEnd)
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
