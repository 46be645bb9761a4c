// A facilitator runs the whole method in the browser: joins, gives quick scores, scores
// factors, picks the approach, adds constraints and enablers with impact and dot votes,
// plans actions and records hypotheses and a gap analysis. Every step's page is checked
// with axe-core (no serious or critical WCAG 2.2 AA violation), the figures follow the
// edits, and screenshots of the figures view are written: `figures.png` (the whole page) and
// `workshop.png` (what a 1280x900 window shows, the README's picture). Driven by
// `tests/tests/browser.rs`.

import assert from 'node:assert/strict'
import { assertNoProblems, checkAccessibility, launchBrowser, main, newParticipant, screenshot, step } from './harness.mjs'
import { ASPECT, aspectScore, FACTOR, join, myScore, openStep, serverResults, waitForText } from './workshop.mjs'

const ASPECTS = [
  ['Whole system design', 4],
  ['Relationships and organisation across the system', 4],
  ['Capacity, capability and confidence', 2],
  ['User and outcome-centred', 3],
  ['Information, insight and innovation', 2],
  ['Managing the policy and compliance landscape', 3],
  ['Commissioning process', 3],
  ['Models and tactics', 2]
]

main(async ({ baseUrl, workshopId, tokens, outDir }) => {
  const browser = await launchBrowser()
  const fay = await newParticipant(browser, baseUrl, { name: 'Fay' })
  const { page } = fay

  await step('the lobby', async () => {
    await page.goto('/')
    await page.getByRole('heading', { level: 1, name: 'Commissioning workshops' }).waitFor()
    await checkAccessibility(page, 'lobby')
  })

  await step('the join form', async () => {
    await page.goto(`/w/${workshopId}?token=${encodeURIComponent(tokens.facilitator)}`)
    await page.getByLabel('Your name').waitFor()
    assert.equal(new URL(page.url()).search, '', 'the token is taken off the address')
    await checkAccessibility(page, 'join')
  })
  await join(fay, workshopId, tokens.facilitator, { name: 'Fay Facilitator', organisation: 'Northshire Council', role: 'facilitator', world: 'management' })
  await step('overview, empty', () => checkAccessibility(page, 'overview (empty)'))

  await step('the steps work from the keyboard', async () => {
    await page.reload()
    await page.getByRole('heading', { name: 'Overview and figures' }).waitFor()
    await page.keyboard.press('Tab')
    const skip = page.getByRole('link', { name: 'Skip to the step' })
    assert.ok(await skip.evaluate((el) => el === document.activeElement), 'the skip link comes first')
    await page.getByRole('link', { name: '1. Quick assessment' }).focus()
    await page.keyboard.press('Enter')
    const heading = page.getByRole('heading', { level: 2, name: 'Quick assessment' })
    await heading.waitFor()
    assert.ok(await heading.evaluate((el) => el === document.activeElement), 'the new step\'s heading has the focus')
    await skip.focus()
    await page.keyboard.press('Enter')
    assert.ok(await page.locator('main#step').evaluate((el) => el === document.activeElement), 'the skip link moves the focus to the step')
    assert.ok(await heading.isVisible(), 'the skip link stays on the step')
    const first = page.getByLabel(`Your quick score: ${ASPECTS[0][0]}`)
    await first.focus()
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('ArrowDown')
    assert.equal(await first.inputValue(), '2', 'a score is chosen with the arrow keys')
  })

  await step('quick assessment', async () => {
    for (const [aspect, score] of ASPECTS) {
      await page.getByLabel(`Your quick score: ${aspect}`).selectOption(String(score))
    }
    await page.getByLabel(`Agreed quick score: ${ASPECTS[2][0]}`).selectOption('3')
    await checkAccessibility(page, 'quick assessment')
  })

  await step('every aspect worksheet', async () => {
    for (const [aspect] of ASPECTS) {
      await openStep(fay, aspect)
      await checkAccessibility(page, `aspect: ${aspect}`)
    }
  })

  await step('scoring, weighting and agreeing factors', async () => {
    await openStep(fay, ASPECT)
    await myScore(page).selectOption('5')
    await page.getByLabel(`Your weight: ${FACTOR}`).selectOption('3')
    await page.getByLabel('Your score: One agreed set of priorities').selectOption('2')
    // (5·3 + 2·1) / 4
    await waitForText(aspectScore(page), '4.25', 'the provisional score')
    await page.getByLabel('Agreed score: One agreed set of priorities').selectOption('3')
    // (5·3 + 3·1) / 4
    await waitForText(aspectScore(page), '4.50', 'the provisional score with the agreed score')
    await page.getByLabel('New factor for whole system design').fill('Shared outcomes framework')
    await page.getByRole('button', { name: 'Add factor' }).click()
    await page.getByRole('heading', { level: 3, name: 'Shared outcomes framework' }).waitFor()
    await checkAccessibility(page, 'aspect with votes')
  })

  await step('approach', async () => {
    await openStep(fay, '3. Approach', 'Approach')
    await page.getByText('Recommended', { exact: true }).first().waitFor()
    await page.getByLabel('Approach the workshop takes forward').selectOption('market-management')
    await page.getByText('Selected', { exact: true }).first().waitFor()
    await checkAccessibility(page, 'approach')
  })

  await step('constraints and enablers', async () => {
    await openStep(fay, '4. Constraints and enablers', 'Constraints and enablers')
    const form = page.getByRole('form', { name: 'Add a constraint or enabler' })
    const add = async (kind, title, aspect, control) => {
      await form.getByLabel('Kind').selectOption(kind)
      await form.getByLabel('Title', { exact: true }).fill(title)
      await form.getByLabel('Aspect', { exact: true }).selectOption({ label: aspect })
      await form.getByLabel('Control', { exact: true }).selectOption(control)
      await form.getByRole('button', { name: 'Add', exact: true }).click()
      await page.getByRole('heading', { level: 4, name: title }).waitFor()
    }
    await add('constraint', 'Short-term funding cycles', 'Managing the policy and compliance landscape', 'outside_control')
    await add('enabler', 'Strong voluntary sector', 'Models and tactics', 'in_control')
    await page.getByLabel('Your impact vote: Strong voluntary sector').selectOption('5')
    await page.getByLabel('Your dots: Strong voluntary sector').selectOption('3')
    await page.getByText(/#1 · priority/).first().waitFor()
    await checkAccessibility(page, 'constraints and enablers')
  })

  await step('development plan', async () => {
    await openStep(fay, '5. Development plan', 'Development plan')
    await page.getByRole('heading', { name: 'Top items without an action' }).waitFor()
    await page.getByRole('button', { name: 'Add an action for Strong voluntary sector' }).click()
    const due = page.getByLabel('Due')
    await due.fill('2020-01-31')
    await due.press('Enter')
    await page.getByText('Overdue', { exact: true }).waitFor()
    await page.getByLabel('Owner').fill('Head of commissioning')
    await page.getByLabel('Owner').press('Enter')
    await checkAccessibility(page, 'development plan')
  })

  await step('hypotheses and gap analysis', async () => {
    await openStep(fay, '6. Hypotheses and gap analysis', 'Hypotheses and gap analysis')
    await page.getByLabel('New hypothesis').fill('Early help reduces demand for specialist services')
    await page.getByRole('button', { name: 'Add hypothesis' }).click()
    await page.getByLabel(/^Evidence: /).fill('Two pilot areas, 2025 evaluation.')
    await page.getByLabel('New strategic objective').fill('People stay independent at home for longer')
    await page.getByRole('button', { name: 'Add objective' }).click()
    await page.getByLabel('Rationale, objective 1').fill('Most people want to stay at home.')
    await checkAccessibility(page, 'hypotheses and gaps')
  })

  await step('the figures view', async () => {
    await openStep(fay, 'Overview and figures')
    const top = page.locator('.top-items')
    await top.getByText('Strong voluntary sector').waitFor()
    await top.getByText('Short-term funding cycles').waitFor()
    await page.getByRole('img', { name: /radar|Aspect scores/i }).first().waitFor()
    await page.locator('.warnings').getByText(/overdue|due/i).first().waitFor()
    await checkAccessibility(page, 'overview with figures')
    await screenshot(page, outDir, 'figures')
    await page.evaluate(() => window.scrollTo(0, 0))
    await screenshot(page, outDir, 'workshop', { fullPage: false })
  })

  await step('the server computed the same figures', async () => {
    const results = await serverResults(baseUrl, workshopId, tokens.facilitator)
    const whole = results.aspects.find((a) => a.id === 'whole-system')
    assert.equal(whole.score, 4.5)
    assert.equal(results.selected, 'market-management')
    assert.equal(results.enablers[0].title, 'Strong voluntary sector')
    assert.ok(results.warnings.some((w) => w.kind === 'overdue_action'), JSON.stringify(results.warnings))
  })

  assertNoProblems(fay)
})
