// A facilitator manages the invite links on the "Invite links" page: makes an observer link,
// an observer follows the workshop with it, the facilitator revokes it and the observer is
// cut off at once; makes a participant link, a participant joins with it and edits, the
// facilitator removes that participant's access and the participant is cut off at once (what
// they type afterwards never reaches the server), and a revoked link lets nobody join.
// Driven by `tests/tests/browser.rs`.

import assert from 'node:assert/strict'
import { assertNoProblems, checkAccessibility, launchBrowser, main, newParticipant, screenshot, step } from './harness.mjs'
import { ASPECT, FACTOR, join, notes, openStep, waitForServerDocument, waitForText, waitForValue } from './workshop.mjs'

/** What the page says when the server withdraws its access (web/src/lib/connection.js). */
const CUT_OFF = 'Your access to this workshop was refused or withdrawn.'
const BEFORE = 'Agreed before Bo was removed.'
const AFTER = 'Typed after Bo was removed.'
const MARKER = 'Fay carries on.'
/** The second factor of the aspect, where the facilitator carries on. */
const SECOND_FACTOR = 'One agreed set of priorities'

const sharedUnderstanding = (doc) => doc.aspects['whole-system'].factors['shared-understanding'].notes
const agreedPriorities = (doc) => doc.aspects['whole-system'].factors['agreed-priorities'].notes

/** The card of the facilitator's list for a link of `who` made on this device (it has a Copy button). */
function linkCard (page, who) {
  return page.getByRole('listitem')
    .filter({ has: page.getByText(who, { exact: true }) })
    .filter({ has: page.getByRole('button', { name: /^Copy/ }) })
}

/** Makes a new link for `role` and returns its address, as the page shows it. */
async function makeLink (page, role, who) {
  await page.getByLabel('Role of the new link').selectOption(role)
  await page.getByRole('button', { name: 'Make a new link' }).click()
  const field = page.getByLabel(`New invite link for ${who.toLowerCase()}`)
  await field.waitFor()
  await linkCard(page, who).waitFor()
  return field.inputValue()
}

/** The connection indicator's one-word state. */
const status = (page) => page.locator('.status-label')

main(async ({ baseUrl, workshopId, tokens, outDir }) => {
  const browser = await launchBrowser()
  const fay = await newParticipant(browser, baseUrl, { name: 'Fay' })
  const obs = await newParticipant(browser, baseUrl, { name: 'Observer' })
  const bo = await newParticipant(browser, baseUrl, { name: 'Bo' })
  // Opening a revoked link is refused (403), which the browser reports.
  const cy = await newParticipant(browser, baseUrl, {
    name: 'Cy',
    ignore: [/HTTP 403: GET .*\/access$/, /status of 403/]
  })
  const questions = []
  fay.page.on('dialog', (dialog) => {
    questions.push(dialog.message())
    dialog.accept()
  })

  await join(fay, workshopId, tokens.facilitator, { name: 'Fay Facilitator', organisation: 'Northshire Council', role: 'facilitator', world: 'management' })
  await step('the facilitator opens the invite links', async () => {
    await openStep(fay, 'Invite links')
    // The three links of the workshop's creation, made elsewhere (by the test's API call).
    const made = fay.page.getByText('This link was made on another device')
    await made.first().waitFor()
    assert.equal(await made.count(), 3)
    await checkAccessibility(fay.page, 'invite links')
  })

  let observerLink
  await step('the facilitator makes an observer link and the observer follows with it', async () => {
    observerLink = await makeLink(fay.page, 'viewer', 'Observers')
    const url = new URL(observerLink)
    assert.equal(url.origin + url.pathname, `${baseUrl}/w/${workshopId}`)
    assert.ok(url.searchParams.get('token'), 'the link carries its token')
    await obs.page.goto(observerLink)
    await obs.page.getByText('Observer (read only)').waitFor()
    await waitForText(status(obs.page), 'Online', 'the observer\'s connection')
    await screenshot(fay.page, outDir, 'invite-links')
  })

  await step('the facilitator revokes the observer link and the observer is cut off live', async () => {
    await linkCard(fay.page, 'Observers').getByRole('button', { name: /^Revoke/ }).click()
    assert.match(questions.at(-1), /^Revoke this observer link\? Everyone using it is cut off at once/)
    await obs.page.getByRole('alert').filter({ hasText: CUT_OFF }).waitFor()
    await waitForText(status(obs.page), 'Stopped', 'the observer\'s connection')
    assert.equal(await linkCard(fay.page, 'Observers').count(), 0, 'the revoked link is not offered any more')
    await fay.page.getByRole('listitem').filter({ hasText: 'Observers' }).getByText('Revoked', { exact: true }).waitFor()
  })

  let participantLink
  await step('the facilitator makes a participant link and Bo joins with it', async () => {
    participantLink = await makeLink(fay.page, 'editor', 'Participants')
    const token = new URL(participantLink).searchParams.get('token')
    await join(bo, workshopId, token, { name: 'Bo Example', organisation: 'Northshire Care', role: 'provider', world: 'service' })
    await fay.page.getByRole('button', { name: 'Remove access of Bo Example' }).waitFor()
  })

  await step('Bo edits and the server has it', async () => {
    await openStep(bo, ASPECT)
    await notes(bo.page).fill(BEFORE)
    await waitForServerDocument(baseUrl, workshopId, tokens.facilitator, (doc) => sharedUnderstanding(doc) === BEFORE, `Bo's note ${JSON.stringify(BEFORE)}`)
  })

  await step('the facilitator removes Bo\'s access and Bo is cut off live', async () => {
    await fay.page.getByRole('button', { name: 'Remove access of Bo Example' }).click()
    assert.match(questions.at(-1), /^Remove Bo Example's access\?/)
    await bo.page.getByRole('alert').filter({ hasText: CUT_OFF }).waitFor()
    await waitForText(status(bo.page), 'Stopped', 'Bo\'s connection')
    await fay.page.getByRole('listitem').filter({ hasText: 'Bo Example' }).getByText('Access removed').waitFor()
  })

  await step('what Bo types afterwards never reaches the server', async () => {
    await notes(bo.page).fill(AFTER)
    // The facilitator's later edit reaches the server; Bo's earlier one does not.
    await openStep(fay, ASPECT)
    await notes(fay.page, SECOND_FACTOR).fill(MARKER)
    const doc = await waitForServerDocument(baseUrl, workshopId, tokens.facilitator, (d) => agreedPriorities(d) === MARKER, `Fay's note ${JSON.stringify(MARKER)}`)
    assert.equal(sharedUnderstanding(doc), BEFORE, 'the server keeps the note as it was before the removal')
    assert.equal(await notes(fay.page, FACTOR).inputValue(), BEFORE, 'the facilitator does not see Bo\'s later text')
    await waitForValue(bo.page, notes(bo.page), AFTER, 'Bo\'s own copy')
    await screenshot(bo.page, outDir, 'cut-off', { fullPage: false })
  })

  await step('the facilitator revokes the participant link and nobody joins with it any more', async () => {
    await openStep(fay, 'Invite links')
    await linkCard(fay.page, 'Participants').getByRole('button', { name: /^Revoke/ }).click()
    assert.match(questions.at(-1), /People who already joined with it keep their own access/)
    await fay.page.getByRole('listitem').filter({ hasText: 'Participants' }).getByText('Revoked', { exact: true }).waitFor()
    await cy.page.goto(participantLink)
    await cy.page.getByRole('heading', { level: 1, name: 'This invite link does not work' }).waitFor()
    await cy.page.getByText('this token was revoked').waitFor()
    assert.equal(await cy.page.getByLabel('Your name').count(), 0, 'no join form')
  })

  assertNoProblems(fay, obs, bo, cy)
})
