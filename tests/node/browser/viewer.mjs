// An observer opens the viewer invite link: no join form, a read-only workshop (no vote
// controls, notes that cannot be typed in) that still follows every change live.
// Driven by `tests/tests/browser.rs`.

import assert from 'node:assert/strict'
import { assertNoProblems, checkAccessibility, launchBrowser, main, newParticipant, step } from './harness.mjs'
import { ASPECT, aspectScore, join, myScore, notes, openStep, waitForText, waitForValue } from './workshop.mjs'

main(async ({ baseUrl, workshopId, tokens }) => {
  const browser = await launchBrowser()
  const gil = await newParticipant(browser, baseUrl, { name: 'Gil' })
  const obs = await newParticipant(browser, baseUrl, { name: 'Observer' })

  await step('the observer opens the viewer link', async () => {
    await obs.page.goto(`/w/${workshopId}?token=${encodeURIComponent(tokens.viewer)}`)
    await obs.page.getByRole('heading', { name: 'Overview and figures' }).waitFor()
    await obs.page.getByText('Observer (read only)').waitFor()
    await openStep(obs, ASPECT)
    assert.equal(await myScore(obs.page).count(), 0, 'no vote controls')
    assert.equal(await notes(obs.page).getAttribute('readonly'), '', 'notes are read only')
    assert.equal(await obs.page.getByRole('button', { name: 'Add factor' }).count(), 0)
    await checkAccessibility(obs.page, 'read-only aspect')
  })

  await step('a participant edits and the observer sees it live', async () => {
    await join(gil, workshopId, tokens.editor, { name: 'Gil Example', organisation: 'Northshire Council', role: 'commissioner', world: 'service' })
    await openStep(gil, ASPECT)
    await myScore(gil.page).selectOption('3')
    await notes(gil.page).fill('Seen by observers too.')
    await waitForText(aspectScore(obs.page), '3.00', 'the observer\'s aspect score')
    await waitForValue(obs.page, notes(obs.page), 'Seen by observers too.', 'the observer\'s note')
  })

  await step('the observer is listed as present', () =>
    gil.page.getByRole('heading', { name: 'Online now (2)' }).waitFor())

  assertNoProblems(gil, obs)
})
