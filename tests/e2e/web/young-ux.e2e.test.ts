import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { axeSerious, DESKTOP, launchChromium, PHONE, screens } from './support/browser.ts';
import { api, claimAndJoin, conversationEntry, enc, loginStaff, until, type Staff } from './support/matrix.ts';
import { answerTriageByClicks, say, statusBar, storedChat, tapFromHomeToChat } from './support/young.ts';

/**
 * What a young person on a phone runs into beyond the happy path: the danger path, the postal code on a phone,
 * the first screen of /chat, Back after a quick exit, right-to-left and control characters, and new messages
 * arriving while they read further up.
 */
const stack = inject('webStack');
let browser: Browser;
let agent: Staff;
const problems: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  agent = await loginStaff(stack, 'pn-agent-1');
});

afterAll(async () => {
  await browser?.close();
});

const log = (page: Page) => page.getByRole('log');
const lastLine = (page: Page) => log(page).getByRole('listitem').last();

let agentTxn = 0;
async function agentSays(roomId: string, body: string): Promise<void> {
  await api(
    stack,
    agent.accessToken,
    'PUT',
    `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/ux-e2e-${Date.now()}-${agentTxn++}`,
    { msgtype: 'm.text', body },
  );
}

/** Whether an element is on screen now (inside the viewport, not scrolled away). */
function onScreen(page: Page, selector: string): Promise<boolean> {
  return page
    .locator(selector)
    .last()
    .evaluate((element) => {
      const box = element.getBoundingClientRect();
      return box.bottom > 0 && box.top < window.innerHeight;
    });
}

async function onScreenLocator(locator: ReturnType<Page['locator']>): Promise<boolean> {
  return locator.evaluate((element) => {
    const box = element.getBoundingClientRect();
    const composer = document.querySelector('.composer')?.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= (composer?.top ?? window.innerHeight);
  });
}

/** Starts a conversation, leaves by « Quitter vite », presses Back: the tab must have left the site. */
async function startThenQuickExitAndBack(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Commencer la conversation' }).click();
  await page.getByRole('button', { name: "Ça m'arrive à moi", exact: true }).waitFor({ timeout: 30_000 });
  await page.getByRole('link', { name: /Quitter vite/ }).click();
  await page.waitForURL(stack.neutralUrl);
  await page.goBack();
  await page.waitForLoadState('load');
  expect(new URL(page.url()).origin).not.toBe(new URL(stack.siteUrl).origin);
}

async function openChat(page: Page, lieu = 'reseaux-sociaux'): Promise<void> {
  await page.goto(`${stack.siteUrl}/chat?lieu=${lieu}`);
  await page.getByRole('button', { name: 'Commencer la conversation' }).click();
  await page.getByRole('button', { name: "Ça m'arrive à moi", exact: true }).waitFor({ timeout: 30_000 });
}

describe('the young person’s side, on a phone', () => {
  it('shows « Commencer la conversation » in the first screen of /chat at 360 px, the explanations after it', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    await page.goto(`${stack.siteUrl}/chat?lieu=ecole`);
    const start = page.getByRole('button', { name: 'Commencer la conversation' });
    await start.waitFor();
    const box = (await start.boundingBox())!;
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    expect(box.y + box.height).toBeLessThanOrEqual(PHONE.height);
    // The explanations are still there, after the button.
    const promise = page.getByRole('heading', { name: 'Ce qui reste entre nous' });
    expect((await promise.boundingBox())!.y).toBeGreaterThan(box.y);
    problems.push(...(await axeSerious(page)));
    await screens(page, 'ux-chat-intro');
    await context.close();
  });

  it('in danger: tap-to-call numbers in the chat at once, then only the postal code on a digit keypad, then the priority queue', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    await openChat(page);
    await answerTriageByClicks(page, [
      "Ça m'arrive à moi",
      'Du harcèlement ou du cyberharcèlement',
      'Oui, je suis en danger maintenant',
    ]);

    // The danger message, in the conversation itself, with the three numbers as links a tap calls or texts.
    const danger = log(page).getByRole('listitem').filter({ hasText: 'Si tu es en danger maintenant' });
    await danger.waitFor({ timeout: 20_000 });
    const calls = danger.getByRole('list', { name: 'Appeler ou écrire tout de suite' }).getByRole('link');
    expect(await calls.evaluateAll((links) => links.map((link) => link.getAttribute('href')))).toEqual([
      'tel:17',
      'tel:112',
      'sms:114',
    ]);
    for (const link of await calls.all()) expect(await link.isVisible()).toBe(true);
    // Inside the message text too, the numbers are links (and stay plain text in the Matrix body).
    expect(
      await danger.locator('.body a').evaluateAll((links) => links.map((link) => link.getAttribute('href'))),
    ).toEqual(['tel:17', 'tel:112', 'sms:114']);

    // The next question is the postal code: not the age.
    await page
      .getByRole('button', { name: 'Je ne sais pas ou je préfère ne pas le dire' })
      .waitFor({ timeout: 20_000 });
    expect(await page.getByRole('button', { name: '13 ou 14 ans' }).count()).toBe(0);
    const choices = page.getByRole('group', { name: /code postal/ });
    expect(await choices.textContent()).not.toContain('Choisis une réponse');
    expect(await choices.textContent()).toContain('Écris-le en dessous');
    const input = page.getByLabel('Ton message');
    expect(await input.getAttribute('inputmode')).toBe('numeric');
    expect(await input.getAttribute('autocomplete')).toBe('off');
    expect(await input.getAttribute('placeholder')).toContain('69003');
    // The numbers are still on screen while the question waits (nobody scrolled: this is what the phone shows),
    // above the question, even though the danger message itself has scrolled up.
    await page.waitForTimeout(500);
    const onScreenNow: Record<string, boolean> = {};
    for (const href of ['tel:17', 'tel:112', 'sms:114']) {
      const shown = await Promise.all(
        (await page.locator(`main a[href="${href}"]`).all()).map((link) => onScreenLocator(link)),
      );
      onScreenNow[href] = shown.some(Boolean);
    }
    await screens(page, 'ux-danger-postal-live', { fullPage: false });
    expect(onScreenNow).toEqual({ 'tel:17': true, 'tel:112': true, 'sms:114': true });
    expect(await choices.getByRole('list', { name: 'Numéros d’urgence' }).getByRole('link').count()).toBe(3);
    problems.push(...(await axeSerious(page)));
    await screens(page, 'ux-danger-postal', { focus: danger });

    await page.getByRole('button', { name: 'Je ne sais pas ou je préfère ne pas le dire' }).click();
    await expect
      .poll(() => statusBar(page).textContent(), { timeout: 20_000 })
      .toMatch(/Tu es (la prochaine personne|\d+e dans la file)/);
    // Back to an ordinary keyboard once the postal code is answered.
    expect(await input.getAttribute('inputmode')).toBe('text');
    const stored = await storedChat(page);
    const entry = await until('the urgent conversation in a queue', async () => {
      for (const force of ['police', 'gendarmerie'] as const) {
        const found = await conversationEntry(stack, force, stored!.roomId!);
        if (found?.state === 'queued') return found;
      }
      return undefined;
    });
    expect(entry.priority).toBe('urgent');
    // While waiting, the numbers are open, not folded away in a closed section.
    const waiting = page.getByRole('region', { name: 'En attendant' });
    expect(await waiting.locator('details').count()).toBe(0);
    expect(await waiting.getByRole('link', { name: '17' }).isVisible()).toBe(true);
    problems.push(...(await axeSerious(page)));
    await screens(page, 'ux-danger-queued', { focus: waiting });
    await context.close();
  });

  it('after a quick exit, Back does not show any page of the site', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    // Home, an entry point, then the chat, by clicks: three pages of the site, one history entry.
    await page.goto(`${stack.siteUrl}/`);
    await tapFromHomeToChat(page);
    await startThenQuickExitAndBack(page);
    expect(await page.getByRole('log').count()).toBe(0);
    expect(await page.content()).not.toContain('Tu peux en parler ici');
    await context.close();
  });

  it('taps on links before the page is live add no history entry either (a slow phone)', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    // The site's scripts are held back: each page is only its server-rendered HTML, as on a slow phone in the
    // seconds before hydration, and every tap is the browser's own navigation.
    let release!: () => void;
    const live = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/_app/immutable/**/*.js', async (route) => {
      await live;
      await route.continue().catch(() => undefined);
    });
    await page.goto(`${stack.siteUrl}/`);
    const entries = await page.evaluate(() => history.length);
    await tapFromHomeToChat(page);
    expect(await page.evaluate(() => history.length)).toBe(entries);
    release();
    await startThenQuickExitAndBack(page);
    await context.close();
  });

  it('isolates the direction of every message and shows direction controls instead of obeying them', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    await openChat(page, 'maison-rue-sport');
    await answerTriageByClicks(page, ["Ça m'arrive à moi", 'Autre chose', 'Non, pas en ce moment', 'De 15 à 17 ans']);
    // Typed on the digit keypad; 93200 routes to the police in the test rules.
    await page
      .getByRole('button', { name: 'Je ne sais pas ou je préfère ne pas le dire' })
      .waitFor({ timeout: 20_000 });
    await say(page, '93200');
    await expect
      .poll(() => statusBar(page).textContent(), { timeout: 20_000 })
      .toMatch(/Tu es (la prochaine personne|\d+e dans la file)/);
    const { roomId } = (await storedChat(page)) as { roomId: string };

    // RLO would show « photo‮gnp.exe » as « photoexe.png » and drag the following text along.
    await say(page, 'regarde photo\u202Egnp.exe stp');
    const mine = log(page).getByRole('listitem').filter({ hasText: 'regarde photo' });
    await mine.waitFor({ timeout: 15_000 });
    const body = mine.locator('.body');
    expect(await body.textContent()).toBe('regarde photo⟨U+202E⟩gnp.exe stp');
    expect(await body.getAttribute('dir')).toBe('auto');
    // Polled: the line is rendered again once the server echoes it, and a detached node has no computed style.
    await expect.poll(() => body.evaluate((element) => getComputedStyle(element).unicodeBidi)).toBe('isolate');
    await say(page, 'مرحبا، أحتاج مساعدة');
    const arabic = log(page).getByRole('listitem').filter({ hasText: 'مرحبا' }).locator('.body');
    await arabic.waitFor({ timeout: 15_000 });
    // dir="auto" finds the text's own direction: right to left for Arabic (polled, as above: the line is
    // rendered again once the server echoes it).
    await expect.poll(() => arabic.evaluate((element) => getComputedStyle(element).direction)).toBe('rtl');

    // An agent's message too.
    await claimAndJoin(stack, agent, roomId);
    await agentSays(roomId, 'Coucou \u2067سلام\u2069 ok');
    const theirs = log(page).getByRole('listitem').filter({ hasText: 'Coucou' }).locator('.body');
    await theirs.waitFor({ timeout: 15_000 });
    expect(await theirs.textContent()).toBe('Coucou ⟨U+2067⟩سلام⟨U+2069⟩ ok');
    expect(await theirs.getAttribute('dir')).toBe('auto');
    // The agent's name is isolated wherever it shows.
    await expect.poll(() => statusBar(page).textContent(), { timeout: 20_000 }).toContain(agent.pseudonym);
    expect(await statusBar(page).locator('bdi').textContent()).toBe(agent.pseudonym);
    expect(
      await log(page).getByRole('listitem').filter({ hasText: 'Coucou' }).locator('bdi.author').textContent(),
    ).toBe(agent.pseudonym);
    problems.push(...(await axeSerious(page)));
    await screens(page, 'ux-bidi', { focus: lastLine(page) });
    // Screenshots move the page: back to the latest message, where the young person reads.
    await lastLine(page).evaluate((element) => element.scrollIntoView({ block: 'center' }));

    // « Nouveau message »: enough of the conversation to scroll, then the young person reads further up.
    for (let index = 1; index <= 6; index++)
      await agentSays(
        roomId,
        `Message ${index} : je lis ce que tu m’écris, prends ton temps pour répondre, je reste là avec toi.`,
      );
    await log(page)
      .getByText(/^Message 6 :/)
      .waitFor({ timeout: 15_000 });
    await expect.poll(() => onScreen(page, '[role="log"] ol > li'), { timeout: 5_000 }).toBe(true);
    expect(await page.getByRole('button', { name: /nouveau message/i }).count()).toBe(0);
    await page.evaluate(() => window.scrollTo(0, 0));
    expect(await onScreen(page, '[role="log"] ol > li')).toBe(false);
    await agentSays(roomId, 'Tu es toujours là ?');
    const marker = page.getByRole('button', { name: 'Nouveau message' });
    await marker.waitFor({ timeout: 15_000 });
    // The page did not jump: the young person stays where they were reading.
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    expect(await marker.isVisible()).toBe(true);
    await agentSays(roomId, 'Je reste là.');
    await page.getByRole('button', { name: '2 nouveaux messages' }).waitFor({ timeout: 15_000 });
    problems.push(...(await axeSerious(page)));
    await screens(page, 'ux-new-message', { fullPage: false });
    await page.getByRole('button', { name: '2 nouveaux messages' }).click();
    await expect.poll(() => onScreen(page, '[role="log"] ol > li'), { timeout: 5_000 }).toBe(true);
    expect(await lastLine(page).textContent()).toContain('Je reste là.');
    await page.getByRole('button', { name: /nouveaux? messages?/i }).waitFor({ state: 'detached', timeout: 5_000 });
    // The young person's own message always brings the conversation back into view.
    await page.evaluate(() => window.scrollTo(0, 0));
    await say(page, 'oui');
    await expect.poll(() => onScreen(page, '[role="log"] ol > li'), { timeout: 5_000 }).toBe(true);
    await page.setViewportSize(DESKTOP);
    await context.close();
  });

  it('passes axe-core on each of these screens', () => {
    expect(problems).toEqual([]);
  });
});
