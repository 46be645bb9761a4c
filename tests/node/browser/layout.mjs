// The page's layout on a phone (390x844) and on a wide screen (1440x900).
//
// On the phone the steps and who is online fold into a menu (a button with aria-expanded):
// a step opens with its own heading and first factor in the first screenful, the menu opens,
// lists the steps and who is online, closes with Escape and on choosing a step, and nothing
// is wider than the screen. On the wide screen the menu button is gone, the steps are always
// shown, and every table of the overview shows in full inside its card (none is cut off or
// needs scrolling). Screenshots: `phone-worksheet.png`, `phone-menu.png` (what the phone
// shows), `phone-overview.png` and `wide-overview.png` (the whole page). Driven by
// `tests/tests/browser.rs`.

import assert from 'node:assert/strict'
import { assertNoProblems, checkAccessibility, launchBrowser, main, newParticipant, screenshot, step } from './harness.mjs'
import { ASPECT, aspectScore, FACTOR, join, myScore, waitForText } from './workshop.mjs'

const PHONE = { width: 390, height: 844 }
const WIDE = { width: 1440, height: 900 }

/**
 * How each table of the step sits in its card (`.panel`): whether the card overflows, whether
 * the table shows in full (no wider than its scroll container, or than the card when it has
 * none), and whether its scroll container lies within the card.
 */
function tablesInCards (page) {
  return page.evaluate(() => [...document.querySelectorAll('#step table')].map((table) => {
    const card = table.closest('.panel')
    let scroller = null
    for (let el = table.parentElement; el && el !== card; el = el.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(el).overflowX)) {
        scroller = el
        break
      }
    }
    const box = (el) => el.getBoundingClientRect()
    const within = (inner, outer) => box(inner).left >= box(outer).left - 0.5 && box(inner).right <= box(outer).right + 0.5
    return {
      table: table.caption?.textContent || table.className,
      inCard: Boolean(card),
      cardOverflows: card ? card.scrollWidth > card.clientWidth || box(card).right > window.innerWidth : true,
      shownInFull: box(table).width <= (scroller || card).clientWidth + 0.5 && within(table, card),
      scrollsInCard: Boolean(scroller) && within(scroller, card)
    }
  }))
}

/** Fails unless the page is no wider than its window. */
async function assertNoSidewaysScroll (page, where) {
  const [width, window] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth])
  assert.ok(width <= window, `${where}: the page is ${width} px wide in a ${window} px window`)
}

/** Fails unless `locator` lies entirely within the first screenful of the page. */
async function assertInFirstScreen (page, locator, what) {
  const [top, bottom, scrolled, height] = await locator.evaluate((el) => {
    const box = el.getBoundingClientRect()
    return [box.top, box.bottom, window.scrollY, window.innerHeight]
  })
  assert.equal(scrolled, 0, `${what}: the page opens at its top`)
  assert.ok(top >= 0 && bottom <= height, `${what} lies at ${Math.round(top)}..${Math.round(bottom)} px, below the first ${height} px`)
}

main(async ({ baseUrl, workshopId, tokens, outDir }) => {
  const browser = await launchBrowser()
  const fay = await newParticipant(browser, baseUrl, { name: 'Fay', viewport: PHONE })
  const wes = await newParticipant(browser, baseUrl, { name: 'Wes', viewport: WIDE })
  const { page } = fay
  const menu = page.getByRole('button', { name: 'Steps and who is online' })
  const nav = page.getByRole('navigation', { name: 'Workshop steps' })
  const worksheetHeading = page.getByRole('heading', { level: 2, name: ASPECT, exact: true })

  await join(fay, workshopId, tokens.facilitator, { name: 'Fay Facilitator', organisation: 'Northshire Council', role: 'facilitator', world: 'management' })

  await step('on a phone a worksheet opens with its heading and first factor', async () => {
    // A fresh load of the worksheet's address, as a bookmark or a shared link opens it.
    await page.goto('about:blank')
    await page.goto(`/w/${workshopId}#aspect/whole-system`)
    await worksheetHeading.waitFor()
    await assertInFirstScreen(page, worksheetHeading, 'the worksheet\'s heading')
    await assertInFirstScreen(page, page.getByRole('heading', { level: 3, name: FACTOR }), 'the first factor\'s heading')
    assert.equal(await menu.getAttribute('aria-expanded'), 'false', 'the menu is closed')
    assert.equal(await nav.getByRole('link', { name: '1. Quick assessment' }).isVisible(), false, 'the steps are folded away')
    assert.equal(await page.getByRole('heading', { name: /^Online now/ }).isVisible(), false, 'who is online is folded away')
    await assertNoSidewaysScroll(page, 'the worksheet')
    await myScore(page).selectOption('4')
    await waitForText(aspectScore(page), '4.00', 'the aspect score')
    await checkAccessibility(page, 'worksheet on a phone')
    await screenshot(page, outDir, 'phone-worksheet', { fullPage: false })
  })

  await step('the menu opens with the steps and who is online, and Escape closes it', async () => {
    await menu.click()
    assert.equal(await menu.getAttribute('aria-expanded'), 'true')
    await nav.getByRole('link', { name: '1. Quick assessment' }).waitFor()
    await page.getByRole('heading', { name: 'Online now (1)' }).waitFor()
    await checkAccessibility(page, 'menu open on a phone')
    await screenshot(page, outDir, 'phone-menu', { fullPage: false })
    await page.keyboard.press('Escape')
    assert.equal(await menu.getAttribute('aria-expanded'), 'false')
    assert.ok(await menu.evaluate((el) => el === document.activeElement), 'the focus returns to the menu button')
    await nav.getByRole('link', { name: '1. Quick assessment' }).waitFor({ state: 'hidden' })
  })

  await step('choosing a step in the menu opens it and closes the menu', async () => {
    await menu.click()
    await nav.getByRole('link', { name: 'Overview and figures' }).click()
    await page.getByRole('heading', { level: 2, name: 'Overview and figures' }).waitFor()
    assert.equal(await menu.getAttribute('aria-expanded'), 'false')
    await nav.getByRole('link', { name: 'Overview and figures' }).waitFor({ state: 'hidden' })
  })

  await step('on a phone the overview\'s tables stay within their cards', async () => {
    await page.getByRole('table', { name: /^Aspect scores/ }).waitFor()
    await assertNoSidewaysScroll(page, 'the overview')
    const tables = await tablesInCards(page)
    assert.ok(tables.length >= 2, 'the overview has its tables')
    for (const t of tables) {
      assert.ok(t.inCard && !t.cardOverflows, `${t.table}: its card overflows`)
      assert.ok(t.shownInFull || t.scrollsInCard, `${t.table}: overflows its card`)
    }
    await checkAccessibility(page, 'overview on a phone')
    await screenshot(page, outDir, 'phone-overview')
  })

  await step('on a wide screen the steps show and every table of the overview fits its card', async () => {
    await wes.page.goto(`/w/${workshopId}?token=${encodeURIComponent(tokens.viewer)}`)
    await wes.page.getByRole('heading', { level: 2, name: 'Overview and figures' }).waitFor()
    await waitForText(wes.page.getByRole('table', { name: /^Aspect scores/ }).getByRole('row', { name: new RegExp(`^${ASPECT}`) }), '4.00', 'the aspect\'s score in the table')
    assert.equal(await wes.page.getByRole('button', { name: 'Steps and who is online' }).isVisible(), false, 'no menu button')
    await wes.page.getByRole('navigation', { name: 'Workshop steps' }).getByRole('link', { name: '1. Quick assessment' }).waitFor()
    await assertNoSidewaysScroll(wes.page, 'the overview')
    const tables = await tablesInCards(wes.page)
    assert.ok(tables.length >= 2, 'the overview has its tables')
    for (const t of tables) {
      assert.ok(t.inCard && !t.cardOverflows, `${t.table}: its card overflows`)
      assert.ok(t.shownInFull, `${t.table}: cut off (it does not show in full in its card)`)
    }
    await checkAccessibility(wes.page, 'overview on a wide screen')
    await screenshot(wes.page, outDir, 'wide-overview')
  })

  assertNoProblems(fay, wes)
})
