// The lobby of a server started with `--create-token`: creating a workshop without the token
// asks for it, a wrong one is refused with a clear message, the right one creates the
// workshop (with its three invite links ready to copy) and is remembered for the session, so
// the next workshop needs no typing. Driven by `tests/tests/browser.rs`, whose config carries
// `createToken`.

import assert from 'node:assert/strict'
import { assertNoProblems, checkAccessibility, launchBrowser, main, newParticipant, screenshot, step } from './harness.mjs'

main(async ({ baseUrl, createToken, outDir }) => {
  assert.ok(createToken, 'the config names the server\'s create token')
  const browser = await launchBrowser()
  // The refusals (401 without a token, 403 with a wrong one) are the point of this scenario.
  const cleo = await newParticipant(browser, baseUrl, {
    name: 'Cleo',
    ignore: [/HTTP 40[13]: POST .*\/api\/workshops$/, /status of 40[13]/]
  })
  const { page } = cleo
  const alert = page.getByRole('alert')
  const tokenField = page.getByLabel('Create token')
  const create = (title) => step(`create "${title}"`, async () => {
    await page.getByLabel('Title').fill(title)
    await page.getByLabel('Place').fill('Northshire')
    await page.getByRole('button', { name: 'Create workshop' }).click()
  })

  await step('open the lobby', async () => {
    await page.goto('/')
    await page.getByRole('heading', { level: 1, name: 'Commissioning workshops' }).waitFor()
    assert.equal(await tokenField.count(), 0, 'no token field until the server asks for one')
  })

  await create('Spring workshop')
  await step('the lobby asks for the create token', async () => {
    await alert.filter({ hasText: 'This server asks for a create token' }).waitFor()
    await tokenField.waitFor()
    assert.ok(await tokenField.evaluate((el) => el === document.activeElement), 'the token field has the focus')
    assert.equal(await page.getByLabel('Title').inputValue(), 'Spring workshop', 'what was typed is kept')
    await checkAccessibility(page, 'lobby asking for the create token')
  })

  await step('a wrong token is refused with a clear message', async () => {
    await tokenField.fill(`${createToken}-wrong`)
    await page.getByRole('button', { name: 'Create workshop' }).click()
    await alert.filter({ hasText: 'That create token is not this server\'s' }).waitFor()
    assert.equal(await tokenField.getAttribute('aria-invalid'), 'true')
    await screenshot(page, outDir, 'create-token-refused')
  })

  await step('the right token creates the workshop', async () => {
    await tokenField.fill(createToken)
    await page.getByRole('button', { name: 'Create workshop' }).click()
    await page.getByRole('heading', { level: 2, name: '“Spring workshop” is ready' }).waitFor()
    assert.equal(await alert.count(), 0, 'no error is left')
    // The three links of the new workshop, each ready to copy.
    const created = page.locator('.created')
    for (const who of ['participants', 'observers', 'facilitators']) {
      await created.getByRole('button', { name: new RegExp(`^Copy the invite link for ${who},`) }).waitFor()
    }
    await checkAccessibility(page, 'lobby with a new workshop')
  })

  await step('the token is remembered for the session', async () => {
    await page.reload()
    await page.getByRole('heading', { level: 1, name: 'Commissioning workshops' }).waitFor()
    assert.equal(await tokenField.inputValue(), createToken)
    await create('Summer workshop')
    await page.getByRole('heading', { level: 2, name: '“Summer workshop” is ready' }).waitFor()
    await page.getByRole('link', { name: 'Summer workshop' }).waitFor()
  })

  assertNoProblems(cleo)
})
