// Two participants in two browser contexts score the same factor and type in the same note
// at the same moment: each sees the other's vote, the merged text (with each caret kept in
// place: a jumping caret would scramble the words) and the recomputed aspect score. Each
// sees the other working on the factor (presence). A third participant who joins later sees
// all of it. Driven by `tests/tests/browser.rs`.

import assert from 'node:assert/strict'
import { assertNoProblems, launchBrowser, main, newParticipant, step } from './harness.mjs'
import { ASPECT, aspectScore, FACTOR, factorCard, join, myScore, notes, openStep, serverDocument, waitForText, waitForValue } from './workshop.mjs'

const SEED = 'Shared notes:'
const ANN_TYPES = ' Ann was here.'
const BOB_TYPES = 'Bob agrees. '
const MERGED = BOB_TYPES + SEED + ANN_TYPES

main(async ({ baseUrl, workshopId, tokens }) => {
  const browser = await launchBrowser()
  const ann = await newParticipant(browser, baseUrl, { name: 'Ann' })
  const bob = await newParticipant(browser, baseUrl, { name: 'Bob' })

  await join(ann, workshopId, tokens.editor, { name: 'Ann Example', organisation: 'Northshire Council', role: 'commissioner', world: 'management' })
  await join(bob, workshopId, tokens.editor, { name: 'Bob Example', organisation: 'Northshire Care Ltd', role: 'provider', world: 'service' })
  for (const p of [ann, bob]) await openStep(p, ASPECT)

  await step('Ann starts the note', async () => {
    await notes(ann.page).fill(SEED)
    await waitForValue(bob.page, notes(bob.page), SEED, 'Bob sees the seed text')
  })

  await step('both score the factor at the same moment', () => Promise.all([
    myScore(ann.page).selectOption('4'),
    myScore(bob.page).selectOption('2')
  ]))

  await step('both type in the same note at the same moment', async () => {
    await notes(ann.page).click()
    await ann.page.keyboard.press('Control+End')
    await notes(bob.page).click()
    await bob.page.keyboard.press('Control+Home')
    await Promise.all([
      ann.page.keyboard.type(ANN_TYPES, { delay: 40 }),
      bob.page.keyboard.type(BOB_TYPES, { delay: 40 })
    ])
  })

  await step('each sees the merged text', async () => {
    await waitForValue(ann.page, notes(ann.page), MERGED, 'Ann\'s note')
    await waitForValue(bob.page, notes(bob.page), MERGED, 'Bob\'s note')
  })

  await step('each sees both votes and the recomputed aspect score', async () => {
    for (const p of [ann, bob]) {
      const distribution = factorCard(p.page).getByRole('img', { name: /^Scores for .*: 1 ×0, 2 ×1, 3 ×0, 4 ×1, 5 ×0$/ })
      await distribution.waitFor()
      // The median of 2 and 4, with the default weight of 1.
      await waitForText(aspectScore(p.page), '3.00', `${p.name}'s aspect score`)
    }
  })

  await step('each sees the other working on the factor', async () => {
    await factorCard(bob.page).locator('.factor-presence').getByText('Ann Example').waitFor({ state: 'attached' })
    await factorCard(ann.page).locator('.factor-presence').getByText('Bob Example').waitFor({ state: 'attached' })
    await bob.page.getByRole('heading', { name: 'Online now (2)' }).waitFor()
  })

  await step('a third participant who joins later sees everything', async () => {
    const cat = await newParticipant(browser, baseUrl, { name: 'Cat' })
    await join(cat, workshopId, tokens.editor, { name: 'Cat Example', organisation: 'Carers Voice', role: 'user_carer', world: 'customer' })
    await openStep(cat, ASPECT)
    await waitForValue(cat.page, notes(cat.page), MERGED, 'Cat\'s note')
    await factorCard(cat.page).getByRole('img', { name: /^Scores for .*: 1 ×0, 2 ×1, 3 ×0, 4 ×1, 5 ×0$/ }).waitFor()
    await waitForText(aspectScore(cat.page), '3.00', 'Cat\'s aspect score')
    await cat.page.getByRole('heading', { name: 'Online now (3)' }).waitFor()
    assert.equal(await myScore(cat.page).inputValue(), '', 'Cat has not voted')
    assertNoProblems(cat)
  })

  await step('the server has both votes and the merged note', async () => {
    const doc = await serverDocument(baseUrl, workshopId, tokens.facilitator)
    const factor = doc.aspects['whole-system'].factors['shared-understanding']
    assert.deepEqual(Object.values(factor.scores).sort(), [2, 4])
    assert.equal(factor.notes, MERGED)
  })

  assertNoProblems(ann, bob)
})

