import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Route } from 'playwright-core';
import { launchChromium, PHONE, screens } from './support/browser.ts';
import { storedChat } from './support/young.ts';

/**
 * On a slow phone the page's code arrives seconds after the page is on screen (issue 15). « Commencer la
 * conversation » must work from the first paint: a tap made before the code has taken over is kept (app.html's
 * inline script, allowed by its CSP hash) and played once the page is live, exactly once.
 */
const stack = inject('webStack');
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe('the start button before the page’s code has arrived', () => {
  it('is usable at once, and a tap made then opens one conversation once the code is there', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    const cspErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text()))
        cspErrors.push(message.text().slice(0, 200));
    });
    let opens = 0;
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/conversations') opens++;
    });
    // The page's JavaScript is held back until after the tap: the phone is slow.
    const held: Route[] = [];
    let release: () => void = () => undefined;
    const released = new Promise<void>((done) => (release = done));
    await page.route('**/_app/immutable/**/*.js', async (route) => {
      held.push(route);
      await released;
      await route.continue();
    });

    await page.goto(`${stack.siteUrl}/chat?lieu=ecole`, { waitUntil: 'domcontentloaded' });
    const start = page.getByRole('button', { name: 'Commencer la conversation' });
    await expect.poll(() => held.length, { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await start.getAttribute('data-early-tap')).toBe('wait');
    expect(await start.isEnabled()).toBe(true);
    await start.click();
    expect(await start.getAttribute('aria-busy')).toBe('true');
    await screens(page, 'chat-early-tap');

    release();
    await page.getByRole('button', { name: "Ça m'arrive à moi", exact: true }).waitFor({ timeout: 45_000 });
    expect((await storedChat(page))?.roomId).toMatch(/^!/);
    // Once live, the button is the page's own: the early tap is not played a second time.
    await page.waitForTimeout(1000);
    expect(opens).toBe(1);
    expect(await page.evaluate(() => (window as { __espaceEarlyTap?: string }).__espaceEarlyTap)).toBeUndefined();
    expect(cspErrors).toEqual([]);
    await context.close();
  });

  it('plays nothing when the page goes live without a tap', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    let opens = 0;
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/conversations') opens++;
    });
    await page.goto(`${stack.siteUrl}/chat?lieu=ecole`);
    const start = page.getByRole('button', { name: 'Commencer la conversation' });
    await expect.poll(() => start.getAttribute('data-early-tap'), { timeout: 20_000 }).toBe('live');
    await page.waitForTimeout(1500);
    expect(opens).toBe(0);
    expect(await start.getAttribute('aria-busy')).toBeNull();
    await context.close();
  });
});
