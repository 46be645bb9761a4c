// What every browser scenario shares: Playwright driving Debian's Chromium against the real
// server, one participant per browser context, a problem collector, axe-core checks,
// screenshots, progress on stderr and a watchdog. Driven by `tests/tests/browser.rs`
// (through `workshop_tests::browser`), or by hand.
//
// A scenario is a script in this directory:
//
//   import { main, launchBrowser, newParticipant, step, ... } from './harness.mjs'
//   main(async (config) => {
//     const browser = await launchBrowser()
//     const alice = await newParticipant(browser, config.baseUrl)
//     await step('open the lobby', () => alice.page.goto('/'))
//     assertNoProblems(alice)
//   })
//
// Usage: node <scenario>.mjs '<JSON config>'
//    or: node <scenario>.mjs <baseUrl> [workshopId] [facilitatorToken] [editorToken] [outDir]
//
// The JSON config (one argument, as the Rust tests pass it):
//
//   {
//     "baseUrl": "http://127.0.0.1:PORT",   // required; loopback only
//     "workshopId": "<uuid>",               // the workshop the Rust test created
//     "title": "Browser workshop",          // its title
//     "tokens": { "facilitator": "…", "editor": "…", "viewer": "…" },
//     "outDir": "/path/for/screenshots",    // default: <tmp>/workshop-browser-tests
//     "timeoutMs": 90000,                   // the watchdog, default 90 s
//     ...                                   // anything else a scenario wants, passed through
//   }
//
// `main(fn)` calls `fn(config)`, exits 0 when it resolves and prints the error and exits 1
// when it throws. The watchdog exits 2 when the whole script runs longer than `timeoutMs`, so
// the process always stops by itself; SIGTERM exits 143 and SIGINT 130. Every browser
// `launchBrowser` starts is closed when the script ends, however it ends (Playwright also
// kills Chromium if Node exits first). A failing script first screenshots every
// participant's page as `<outDir>/failure-<name>.png`.
//
// Progress (`step`) goes to stderr; stdout carries one `screenshot <path>` line per
// screenshot, and whatever a scenario prints for its Rust test.
//
// Exports: launchBrowser(), newParticipant(browser, baseUrl, {name, ignore, viewport}),
// assertNoProblems(...participants), checkAccessibility(page, label),
// screenshot(page, outDir, name), step(name, fn), parseConfig(argv), main(fn).
//
// Environment: CHROMIUM names the Chromium binary (default /usr/bin/chromium).

import { mkdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'

/** How long the whole script may run unless the config says otherwise. */
export const DEFAULT_TIMEOUT_MS = 90_000

/** The default bound of every Playwright wait (locators, navigation): a failure guard. */
export const WAIT_MS = 10_000

/** axe-core tags a page must pass: WCAG 2.0, 2.1 and 2.2, levels A and AA. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']

/** axe impacts that fail a check; `minor` and `moderate` are only reported. */
export const FAILING_IMPACTS = ['serious', 'critical']

/**
 * Problems every participant ignores. None: the page declares its own (empty) icon, so
 * Chromium does not ask for `/favicon.ico`.
 */
export const BROWSER_NOISE = []

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-features=Translate,OptimizationHints,MediaRouter'
]

const started = Date.now()
const browsers = new Set()
const participants = []
let scenarioName = 'browser'

function log (message) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  process.stderr.write(`[${scenarioName} +${seconds}s] ${message}\n`)
}

/**
 * Launches headless Chromium, with `args` after the harness's own (e.g. a
 * `--host-resolver-rules` that maps a name to loopback); it is closed when the script ends.
 */
export async function launchBrowser ({ args = [] } = {}) {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium'
  const browser = await chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS, ...args] })
  browsers.add(browser)
  browser.on('disconnected', () => browsers.delete(browser))
  return browser
}

/** The window of a participant unless `newParticipant`'s `options.viewport` says otherwise. */
export const DEFAULT_VIEWPORT = { width: 1280, height: 900 }

/**
 * A participant named `options.name` (default `participant-<n>`): a fresh browser context
 * (its own storage, like a separate person's browser) at `baseUrl`, `options.viewport`
 * (default 1280x900) wide, its page, and the problems seen on it. Downloads are accepted
 * (`page.waitForEvent('download')`).
 *
 * Problems, on any page of the context or its service worker: uncaught page errors, console messages of type `error`, failed requests (other
 * than WebSockets and aborted requests), HTTP answers of 400 and above, and requests to any
 * origin but `baseUrl`'s. `options.ignore` lists strings (contained in) or RegExps (matching)
 * problems that are expected; `participant.ignore(pattern)` adds one later, e.g. before
 * deliberately going offline.
 *
 * @returns {Promise<{name: string, context: import('playwright-core').BrowserContext,
 *   page: import('playwright-core').Page, problems: string[], ignore: (pattern: string|RegExp) => void}>}
 */
export async function newParticipant (browser, baseUrl, options = {}) {
  const name = options.name || `participant-${participants.length + 1}`
  const context = await browser.newContext({
    viewport: options.viewport || DEFAULT_VIEWPORT,
    baseURL: baseUrl,
    acceptDownloads: true
  })
  context.setDefaultTimeout(WAIT_MS)
  context.setDefaultNavigationTimeout(WAIT_MS)
  const page = await context.newPage()
  const origin = new URL(baseUrl).origin
  const ignored = [...BROWSER_NOISE, ...(options.ignore || [])]
  const participant = {
    name,
    context,
    page,
    problems: [],
    ignore: (pattern) => ignored.push(pattern)
  }
  participants.push(participant)
  const report = (problem) => {
    const expected = ignored.some((pattern) =>
      typeof pattern === 'string' ? problem.includes(pattern) : pattern.test(problem))
    if (!expected) participant.problems.push(problem)
  }

  // On the context, so that every page of it and its service worker are watched.
  context.on('weberror', (webError) => {
    const error = webError.error()
    report(`page error: ${error.stack || error.message}`)
  })
  context.on('console', (message) => {
    if (message.type() !== 'error') return
    const { url, lineNumber } = message.location()
    report(`console error: ${message.text()}${url ? ` (at ${url}:${lineNumber})` : ''}`)
  })
  context.on('requestfailed', (request) => {
    const error = request.failure()?.errorText || 'failed'
    if (request.resourceType() === 'websocket' || error === 'net::ERR_ABORTED') return
    report(`request failed: ${request.method()} ${request.url()}: ${error}`)
  })
  context.on('response', (response) => {
    if (response.status() >= 400) {
      report(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`)
    }
  })
  context.on('request', (request) => {
    const url = request.url()
    if (/^(data|blob|about):/.test(url)) return
    const target = new URL(url).origin.replace(/^ws/, 'http')
    if (target !== origin) report(`request outside ${origin}: ${request.method()} ${url}`)
  })
  return participant
}

/** Throws, listing them, when any of the participants saw a problem not ignored. */
export function assertNoProblems (...participants) {
  const seen = participants.flatMap(({ name, problems }) => problems.map((problem) => `${name}: ${problem}`))
  if (seen.length > 0) {
    throw new Error(`${seen.length} problem(s) in the browser:\n  ${seen.join('\n  ')}`)
  }
}

let axeSource
async function axeScript () {
  if (axeSource === undefined) {
    const path = createRequire(import.meta.url).resolve('axe-core/axe.min.js')
    axeSource = await readFile(path, 'utf8')
  }
  return axeSource
}

/**
 * Runs axe-core over the page as it is now and throws, listing rule, impact, help and target
 * selectors, when any violation is `serious` or `critical`; lesser ones are printed only.
 * Returns axe's results.
 *
 * The page's Content-Security-Policy (`script-src 'self'`) refuses an injected script tag,
 * so axe is evaluated through the DevTools protocol, which CSP does not govern.
 */
export async function checkAccessibility (page, label) {
  if (!(await page.evaluate(() => typeof window.axe?.run === 'function'))) {
    await page.evaluate(await axeScript())
  }
  const results = await page.evaluate((tags) =>
    window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), AXE_TAGS)
  const describe = (violation) =>
    `${violation.id} (${violation.impact}): ${violation.help} [${violation.helpUrl}]\n` +
    violation.nodes.map((node) => `      at ${node.target.join(' ')}`).join('\n')
  const failing = results.violations.filter((violation) => FAILING_IMPACTS.includes(violation.impact))
  const lesser = results.violations.filter((violation) => !FAILING_IMPACTS.includes(violation.impact))
  for (const violation of lesser) log(`accessibility (${label}), not failing: ${describe(violation)}`)
  if (failing.length > 0) {
    throw new Error(`accessibility (${label}): ${failing.length} serious or critical violation(s):\n  ` +
      failing.map(describe).join('\n  '))
  }
  log(`accessibility (${label}): ${results.passes.length} rules pass, no serious or critical violation`)
  return results
}

/**
 * Writes a screenshot (of the whole page, or with `fullPage: false` of the viewport) to
 * `<outDir>/<name>.png` and prints `screenshot <path>`.
 */
export async function screenshot (page, outDir, name, { fullPage = true } = {}) {
  await mkdir(outDir, { recursive: true })
  const path = join(outDir, `${name}.png`)
  await page.screenshot({ path, fullPage })
  process.stdout.write(`screenshot ${path}\n`)
  return path
}

/** Runs one named step, printing its start and end on stderr; a failure names the step. */
export async function step (name, fn) {
  log(`${name}…`)
  try {
    const value = await fn()
    log(`${name}: done`)
    return value
  } catch (error) {
    if (error instanceof Error) error.message = `step "${name}" failed: ${error.message}`
    throw error
  }
}

/** The scenario's config from `argv` (see the top of this file). */
export function parseConfig (argv) {
  let config
  if (argv.length === 1 && argv[0].trim().startsWith('{')) {
    config = JSON.parse(argv[0])
  } else {
    const [baseUrl, workshopId, facilitator, editor, outDir] = argv
    config = { baseUrl, workshopId, tokens: { facilitator, editor }, outDir }
  }
  if (typeof config.baseUrl !== 'string') {
    throw new Error('usage: node <scenario>.mjs \'{"baseUrl": "http://127.0.0.1:PORT", ...}\' ' +
      'or node <scenario>.mjs <baseUrl> [workshopId] [facilitatorToken] [editorToken] [outDir]')
  }
  const { hostname } = new URL(config.baseUrl)
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(hostname)) {
    throw new Error(`baseUrl ${config.baseUrl} is not a loopback address: these tests stay on this machine`)
  }
  config.baseUrl = config.baseUrl.replace(/\/+$/, '')
  config.outDir ||= join(tmpdir(), 'workshop-browser-tests')
  config.timeoutMs ||= DEFAULT_TIMEOUT_MS
  config.tokens ||= {}
  return config
}

/** Screenshots every participant's page as `failure-<name>.png`, to show what went wrong. */
async function failureScreenshots (outDir) {
  await Promise.allSettled(participants.map(async ({ name, page }) => {
    if (page.isClosed()) return
    await mkdir(outDir, { recursive: true })
    const path = join(outDir, `failure-${name}.png`)
    await page.screenshot({ path, fullPage: true, timeout: 5_000 })
    log(`screenshot of the failure: ${path}`)
  }))
}

async function closeBrowsers () {
  await Promise.allSettled([...browsers].map((browser) => browser.close()))
}

/** Closes the browsers (for at most 5 s; Playwright kills Chromium on exit anyway), exits. */
function stopNow (code) {
  const grace = new Promise((resolve) => setTimeout(resolve, 5_000).unref())
  Promise.race([closeBrowsers(), grace]).finally(() => process.exit(code))
}

/**
 * Runs a scenario: parses the config, starts the watchdog, awaits `fn(config)`, closes every
 * browser and exits 0, or prints the error and exits 1 (2 when the watchdog fires).
 */
export async function main (fn) {
  scenarioName = process.argv[1]?.split('/').pop()?.replace(/\.mjs$/, '') || 'browser'
  let config
  try {
    config = parseConfig(process.argv.slice(2))
  } catch (error) {
    log(error.message)
    process.exit(1)
  }
  // A guard, not a timing check: a stuck scenario must still end. Not unref'd, so that a
  // scenario awaiting something that can never happen cannot end, passing, with an empty
  // event loop; every other way out calls process.exit.
  setTimeout(() => {
    log(`still running after ${config.timeoutMs} ms, giving up`)
    stopNow(2)
  }, config.timeoutMs)
  // Stopped from outside (the Rust test's own bound, Ctrl-C): close Chromium, then exit.
  process.once('SIGTERM', () => { log('stopped by SIGTERM'); stopNow(143) })
  process.once('SIGINT', () => { log('stopped by SIGINT'); stopNow(130) })

  let code = 0
  try {
    await fn(config)
    log('passed')
  } catch (error) {
    // The message (which `step` prefixed), then where it was thrown.
    const frames = String(error?.stack || '').split('\n').filter((line) => /^\s+at /.test(line))
    log(`FAILED: ${error?.message || error}\n${frames.join('\n')}`)
    code = 1
    await failureScreenshots(config.outDir)
  } finally {
    await closeBrowsers()
  }
  process.exit(code)
}
