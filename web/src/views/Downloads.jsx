// The workshop's downloads: the Excel workbook, the Markdown report and the CSV of votes, as
// the server makes them now. Fetched with the page's token (any role may read them) and
// handed to the browser as files.
import { useState } from 'preact/hooks'
import { fetchExport } from '../lib/api.js'
import { saveFile } from '../lib/download.js'

/** The exports: file extension and what the button says. */
const EXPORTS = [
  ['xlsx', 'Workbook (.xlsx)'],
  ['md', 'Report (.md)'],
  ['csv', 'Votes (.csv)']
]

export function Downloads ({ id, token }) {
  const [busy, setBusy] = useState(null)
  const [error, setError] = useState(null)
  const [done, setDone] = useState('')
  const download = async (extension) => {
    // Not disabled while busy (the focus would be lost): a click meanwhile is ignored.
    if (busy) return
    setBusy(extension)
    setError(null)
    setDone('')
    try {
      const { blob, filename } = await fetchExport(id, token, extension)
      saveFile(blob, filename)
      setDone(`Downloaded ${filename}.`)
    } catch (failure) {
      setError(`The download failed: ${failure.message}`)
    } finally {
      setBusy(null)
    }
  }
  return (
    <section class='panel downloads' aria-labelledby='downloads-heading'>
      <h3 id='downloads-heading'>Download the workshop</h3>
      <p class='hint' id='downloads-about'>
        As it stands now: every sheet as a workbook for Excel or LibreOffice, the figures and
        the plan as a Markdown report, or every vote as a CSV table.
      </p>
      <div class='download-buttons'>
        {EXPORTS.map(([extension, label]) => (
          <button key={extension} type='button' aria-describedby='downloads-about' onClick={() => download(extension)}>
            {busy === extension ? 'Preparing…' : <><span class='visually-hidden'>Download </span>{label}</>}
          </button>
        ))}
      </div>
      {error && <p class='error' role='alert'>{error}</p>}
      <p class='visually-hidden' role='status'>{done}</p>
    </section>
  )
}
