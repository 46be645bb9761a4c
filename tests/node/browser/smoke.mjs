// Smoke test of the browser page, driven by `tests/tests/browser.rs`: the lobby (`/`) loads in
// Chromium, shows its top-level heading, has no serious or critical accessibility violation,
// and raises no error on the way. Writes `lobby.png` to the output directory.
//
// Usage: see harness.mjs (only `baseUrl` and `outDir` are used).

import {
  assertNoProblems,
  checkAccessibility,
  launchBrowser,
  main,
  newParticipant,
  screenshot,
  step
} from './harness.mjs'

main(async ({ baseUrl, outDir }) => {
  const browser = await launchBrowser()
  const visitor = await newParticipant(browser, baseUrl, { name: 'visitor' })
  const { page } = visitor

  await step('open the lobby', () => page.goto('/'))
  await step('wait for the top-level heading', async () => {
    const heading = page.getByRole('heading', { level: 1 })
    await heading.waitFor({ state: 'visible' })
    const text = (await heading.innerText()).trim()
    if (text === '') throw new Error('the h1 is empty')
  })
  await step('check accessibility', () => checkAccessibility(page, 'lobby'))
  await step('screenshot', () => screenshot(page, outDir, 'lobby'))
  assertNoProblems(visitor)
})
