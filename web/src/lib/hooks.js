// Preact hooks that re-render a view when the shared document or the presence changes.
// Updates are coalesced to one render per animation frame.

import { useEffect, useState } from 'preact/hooks'

function useFrameCounter (subscribe, deps) {
  const [, setTick] = useState(0)
  useEffect(() => {
    let frame = 0
    const bump = () => {
      if (frame) return
      frame = requestAnimationFrame(() => {
        frame = 0
        setTick((tick) => tick + 1)
      })
    }
    const unsubscribe = subscribe(bump)
    return () => {
      unsubscribe()
      if (frame) cancelAnimationFrame(frame)
    }
  }, deps)
}

/** Re-renders on every change of `doc`. */
export function useDoc (doc) {
  useFrameCounter((bump) => {
    doc.on('update', bump)
    return () => doc.off('update', bump)
  }, [doc])
}

/** Re-renders on every change of the presence of others. */
export function useAwareness (awareness) {
  useFrameCounter((bump) => {
    awareness.on('change', bump)
    return () => awareness.off('change', bump)
  }, [awareness])
}
