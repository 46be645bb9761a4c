// Saving a file the page fetched (with its token in a header, so never as a plain link) to
// the user's downloads, under the name the server offers.

/**
 * The file name a `Content-Disposition` header offers: its UTF-8 `filename*` (RFC 6266) when
 * present and readable, else its `filename`, else `fallback`. Path separators are never kept.
 */
export function fileNameOf (header, fallback) {
  const value = header || ''
  let name = null
  const extended = value.match(/filename\*\s*=\s*UTF-8''([^;]+)/i)
  if (extended) {
    try {
      name = decodeURIComponent(extended[1].trim())
    } catch {
      name = null
    }
  }
  if (!name) {
    const plain = value.match(/filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i)
    if (plain) name = plain[1] !== undefined ? plain[1].replace(/\\(.)/g, '$1') : plain[2]
  }
  name = (name || '').replace(/[/\\]/g, '_').trim()
  return name || fallback
}

/** How long a saved file's object URL is kept: long enough for the browser to start saving it. */
const OBJECT_URL_LIFETIME_MS = 60_000

/** Hands `blob` to the browser as a download named `filename`. */
export function saveFile (blob, filename) {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  link.hidden = true
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), OBJECT_URL_LIFETIME_MS)
}
