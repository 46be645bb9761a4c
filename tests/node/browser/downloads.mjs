// The workshop's downloads, clicked in the browser by a participant and by an observer (every
// role that may read the workshop): the workbook is a ZIP file (an .xlsx starts with "PK"),
// the Markdown report carries the workshop's title, the CSV of votes opens with a header row
// and holds the participant's vote. Each file is saved under the name the server offers.
// Driven by `tests/tests/browser.rs`.

import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { assertNoProblems, checkAccessibility, launchBrowser, main, newParticipant, step } from './harness.mjs'
import { ASPECT, aspectScore, join, myScore, openStep, waitForText } from './workshop.mjs'

/** Clicks a download button and resolves with the file's suggested name and bytes. */
async function download (page, button) {
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: button }).click()
  ])
  const failure = await file.failure()
  assert.equal(failure, null, `the download of ${button} failed: ${failure}`)
  return { name: file.suggestedFilename(), bytes: await readFile(await file.path()) }
}

/** Downloads the three files of the workshop titled `title` from the overview and checks each. */
async function downloadAll (participant, title) {
  const { page } = participant
  const workbook = await download(page, 'Download Workbook (.xlsx)')
  assert.equal(workbook.name, `${title}.xlsx`)
  assert.equal(workbook.bytes.subarray(0, 2).toString('latin1'), 'PK', 'an .xlsx file is a ZIP archive')

  const report = await download(page, 'Download Report (.md)')
  assert.equal(report.name, `${title}.md`)
  assert.ok(report.bytes.toString('utf8').includes(`# ${title}`), 'the report is titled with the workshop')

  const votes = await download(page, 'Download Votes (.csv)')
  assert.equal(votes.name, `${title}.csv`)
  const lines = votes.bytes.toString('utf8').split(/\r?\n/).filter(Boolean)
  assert.match(lines[0], /^[a-z_]+(,[a-z_]+){2,}$/, `a header row of column names, not ${JSON.stringify(lines[0])}`)
  assert.ok(lines.length >= 2, 'the vote is a row under the header')
  await page.getByRole('status').filter({ hasText: `Downloaded ${title}.csv.` }).waitFor()
}

main(async ({ baseUrl, workshopId, title, tokens }) => {
  assert.ok(title, 'the config names the workshop\'s title')
  const browser = await launchBrowser()
  const dee = await newParticipant(browser, baseUrl, { name: 'Dee' })
  const obs = await newParticipant(browser, baseUrl, { name: 'Observer' })

  await join(dee, workshopId, tokens.editor, { name: 'Dee Example', organisation: 'Northshire Council', role: 'commissioner', world: 'service' })
  await step('the participant votes, so that the votes file has a row', async () => {
    await openStep(dee, ASPECT)
    await myScore(dee.page).selectOption('4')
    await waitForText(aspectScore(dee.page), '4.00', 'the aspect score')
    await openStep(dee, 'Overview and figures')
  })
  await step('the participant downloads the workbook, the report and the votes', async () => {
    await checkAccessibility(dee.page, 'overview with downloads')
    await downloadAll(dee, title)
  })

  await step('an observer downloads them too', async () => {
    await obs.page.goto(`/w/${workshopId}?token=${encodeURIComponent(tokens.viewer)}`)
    await obs.page.getByRole('heading', { name: 'Overview and figures' }).waitFor()
    await downloadAll(obs, title)
  })

  assertNoProblems(dee, obs)
})
