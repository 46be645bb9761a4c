// What a participant does on the workshop page, in the words a user would use: open an
// invite link, join, go to a step, vote, type in a note. Shared by the browser scenarios.

import { step, WAIT_MS } from './harness.mjs'

/** The factor every scenario works on: Whole system design / shared understanding. */
export const FACTOR = 'Shared understanding of community needs across partners'
export const ASPECT = 'Whole system design'

/**
 * Opens the invite link `/w/{id}?token=…` and joins with `details` ({name, organisation,
 * role, world}); resolves when the workshop's first step shows.
 */
export async function join (participant, workshopId, token, details) {
  const { page } = participant
  await step(`${participant.name} opens the invite link`, () =>
    page.goto(`/w/${workshopId}?token=${encodeURIComponent(token)}`))
  await step(`${participant.name} joins`, async () => {
    await page.getByLabel('Your name').fill(details.name)
    await page.getByLabel('Organisation').fill(details.organisation || '')
    if (details.role) await page.getByLabel('Role').selectOption(details.role)
    if (details.world) await page.getByLabel('World', { exact: true }).selectOption(details.world)
    await page.getByRole('button', { name: 'Join' }).click()
    await page.getByRole('heading', { name: 'Overview and figures' }).waitFor()
  })
}

/** Follows the step link named `name` in the steps navigation and waits for its heading. */
export async function openStep (participant, name, heading = name) {
  const { page } = participant
  await page.getByRole('navigation', { name: 'Workshop steps' }).getByRole('link', { name, exact: true }).click()
  await page.getByRole('heading', { level: 2, name: heading, exact: true }).waitFor()
}

/** The card of a factor on its aspect worksheet. */
export function factorCard (page, factor = FACTOR) {
  return page.locator('li.factor').filter({ has: page.getByRole('heading', { level: 3, name: factor, exact: true }) })
}

/** The collaborative notes of a factor. */
export function notes (page, factor = FACTOR) {
  return page.getByLabel(`Discussion notes: ${factor}`)
}

/** The participant's own score select of a factor. */
export function myScore (page, factor = FACTOR) {
  return page.getByLabel(`Your score: ${factor}`)
}

/** The aspect's provisional score as shown on its worksheet. */
export function aspectScore (page) {
  return page.locator('[data-figure=aspect-score]')
}

/** Waits until `locator`'s text is `expected`; fails with what it was. */
export async function waitForText (locator, expected, what) {
  try {
    await locator.filter({ hasText: expected }).first().waitFor()
  } catch (error) {
    const got = await locator.first().textContent().catch(() => '(missing)')
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`)
  }
}

/** Waits until a text field's value is `expected`; fails with what it was. */
export async function waitForValue (page, locator, expected, what) {
  const handle = await locator.elementHandle()
  try {
    await page.waitForFunction(([el, value]) => el.value === value, [handle, expected])
  } catch {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(await locator.inputValue())}`)
  }
}

/** The workshop's document as the server has it (`GET /api/workshops/{id}/document`). */
export async function serverDocument (baseUrl, workshopId, token) {
  const response = await fetch(`${baseUrl}/api/workshops/${workshopId}/document`, {
    headers: { authorization: `Bearer ${token}` }
  })
  if (!response.ok) throw new Error(`GET document: ${response.status}`)
  return response.json()
}

/** The workshop's results as the server computed them. */
export async function serverResults (baseUrl, workshopId, token) {
  const response = await fetch(`${baseUrl}/api/workshops/${workshopId}/results`, {
    headers: { authorization: `Bearer ${token}` }
  })
  if (!response.ok) throw new Error(`GET results: ${response.status}`)
  return response.json()
}

/**
 * Waits until the server's document satisfies `predicate` (re-reading it, for at most
 * `WAIT_MS`); fails with `what`. Returns the document.
 */
export async function waitForServerDocument (baseUrl, workshopId, token, predicate, what) {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    const doc = await serverDocument(baseUrl, workshopId, token)
    if (predicate(doc)) return doc
    if (Date.now() > deadline) throw new Error(`the server's document: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
