import { useEffect } from 'preact/hooks'

/** Sets the document title (what a screen reader announces on a new page). */
export function useTitle (title) {
  useEffect(() => {
    document.title = title
  }, [title])
}
