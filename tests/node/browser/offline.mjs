// A participant goes offline (`context.setOffline(true)`), sees the page say so, scores a
// factor and writes in its note, reloads the page while still offline (the service worker
// serves the page, IndexedDB the document), then comes back online: the edits reach the
// other participant and the server. Driven by `tests/tests/browser.rs`.

import assert from 'node:assert/strict'
import { assertNoProblems, launchBrowser, main, newParticipant, screenshot, step } from './harness.mjs'
import { ASPECT, aspectScore, factorCard, join, myScore, notes, openStep, serverDocument, waitForText, waitForValue } from './workshop.mjs'

const OFFLINE_NOTE = 'Written on the train, with no connection.'

/** The connection indicator: its state in a live region, and what that state means. */
function status (page) {
  return page.locator('.status').filter({ has: page.getByRole('status') })
}

main(async ({ baseUrl, workshopId, tokens, outDir }) => {
  const browser = await launchBrowser()
  const dee = await newParticipant(browser, baseUrl, { name: 'Dee' })
  const eve = await newParticipant(browser, baseUrl, { name: 'Eve' })

  await join(dee, workshopId, tokens.editor, { name: 'Dee Example', organisation: 'NHS Northshire', role: 'commissioner', world: 'management' })
  await join(eve, workshopId, tokens.editor, { name: 'Eve Example', organisation: 'Northshire Council', role: 'commissioner', world: 'political' })
  for (const p of [dee, eve]) await openStep(p, ASPECT)

  await step('the page is ready to open offline', () =>
    dee.page.waitForFunction(() => navigator.serviceWorker.controller !== null))

  await step('Dee goes offline and the page says so', async () => {
    // While offline the page's attempts to reconnect fail, as they should.
    dee.ignore(/WebSocket connection to .* failed/)
    dee.ignore(/net::ERR_INTERNET_DISCONNECTED/)
    await dee.context.setOffline(true)
    await waitForText(status(dee.page), 'Offline', 'Dee\'s connection indicator')
  })

  await step('Dee scores and writes offline', async () => {
    await myScore(dee.page).selectOption('5')
    await notes(dee.page).fill(OFFLINE_NOTE)
    await waitForText(aspectScore(eve.page), '—', 'Eve sees nothing yet')
    await waitForText(status(dee.page), 'kept on this device', 'Dee\'s indicator while changes wait')
    await screenshot(dee.page, outDir, 'offline')
  })

  await step('Dee reloads while still offline and keeps the edits', async () => {
    await dee.page.reload()
    await dee.page.getByRole('heading', { level: 2, name: ASPECT, exact: true }).waitFor()
    await waitForText(status(dee.page), 'Offline', 'Dee\'s indicator after the reload')
    assert.equal(await myScore(dee.page).inputValue(), '5')
    await waitForValue(dee.page, notes(dee.page), OFFLINE_NOTE, 'Dee\'s note after the reload')
  })

  await step('Dee comes back online and the edits reach Eve', async () => {
    await dee.context.setOffline(false)
    await waitForText(status(dee.page), 'Online', 'Dee\'s connection indicator')
    await waitForValue(eve.page, notes(eve.page), OFFLINE_NOTE, 'Eve\'s note')
    await factorCard(eve.page).getByRole('img', { name: /^Scores for .*: 1 ×0, 2 ×0, 3 ×0, 4 ×0, 5 ×1$/ }).waitFor()
    await waitForText(aspectScore(eve.page), '5.00', 'Eve\'s aspect score')
    await waitForText(aspectScore(dee.page), '5.00', 'Dee\'s aspect score, computed by the server')
  })

  await step('the server has the edits', async () => {
    const doc = await serverDocument(baseUrl, workshopId, tokens.facilitator)
    const factor = doc.aspects['whole-system'].factors['shared-understanding']
    assert.deepEqual(Object.values(factor.scores), [5])
    assert.equal(factor.notes, OFFLINE_NOTE)
  })

  assertNoProblems(dee, eve)
})
