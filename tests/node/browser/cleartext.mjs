// The page warns when it came over plain http from another machine, driven by
// `tests/tests/browser.rs`. The "other machine" is a name Chromium maps to loopback
// (`--host-resolver-rules`), so the test still talks to 127.0.0.1 only.
//
// 1. At the server's own address (127.0.0.1) the lobby shows no warning.
// 2. At http://workshop.test:PORT the lobby opens with the warning, which passes axe.
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

const OTHER_HOST = 'workshop.test'

main(async ({ baseUrl, outDir }) => {
  const local = await newParticipant(await launchBrowser(), baseUrl, { name: 'local' })
  await step('on loopback, no warning', async () => {
    await local.page.goto('/')
    await local.page.getByRole('heading', { level: 1 }).waitFor({ state: 'visible' })
    const warnings = await local.page.getByRole('complementary', { name: 'Connection warning' }).count()
    if (warnings !== 0) throw new Error(`a warning on loopback (${warnings})`)
  })

  const port = new URL(baseUrl).port
  const remoteBrowser = await launchBrowser({ args: [`--host-resolver-rules=MAP ${OTHER_HOST} 127.0.0.1`] })
  const remote = await newParticipant(remoteBrowser, `http://${OTHER_HOST}:${port}`, { name: 'remote' })
  await step('from another machine over http, the warning', async () => {
    await remote.page.goto('/')
    const warning = remote.page.getByRole('complementary', { name: 'Connection warning' })
    await warning.waitFor({ state: 'visible' })
    const text = await warning.innerText()
    if (!/travel unencrypted/.test(text)) throw new Error(`the warning says: ${text}`)
    await remote.page.getByRole('heading', { level: 1 }).waitFor({ state: 'visible' })
  })
  await step('check accessibility', () => checkAccessibility(remote.page, 'lobby over plain http'))
  await step('screenshot', () => screenshot(remote.page, outDir, 'cleartext'))
  assertNoProblems(local, remote)
})
