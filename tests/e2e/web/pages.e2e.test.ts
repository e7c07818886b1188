import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { axeSerious, launchChromium, PHONE, screens, watchOrigins } from './support/browser.ts';

const stack = inject('webStack');
let browser: Browser;

const PAGES = [
  '/',
  '/lieu/maison-rue-sport',
  '/lieu/reseaux-sociaux',
  '/lieu/ecole-college-lycee',
  '/infos/violences-physiques',
  '/infos/violences-sexuelles',
  '/infos/harcelement',
  '/infos/sextorsion',
  '/infos/addictions',
  '/infos/victime-ou-temoin',
  '/infos/comment-ca-marche',
  '/chat',
];

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe('the site’s pages', () => {
  it('pass axe-core with no serious or critical violation, in French, and load nothing from elsewhere', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const origins = watchOrigins(context, stack);
    const page = await context.newPage();
    const problems: string[] = [];
    for (const path of PAGES) {
      const response = await page.goto(stack.siteUrl + path, { waitUntil: 'networkidle' });
      expect(response?.status(), path).toBe(200);
      expect(await page.getAttribute('html', 'lang'), path).toBe('fr');
      problems.push(...(await axeSerious(page)));
      await screens(page, path === '/' ? 'home' : path.slice(1).replaceAll('/', '-'));
    }
    expect(problems).toEqual([]);
    expect(origins.foreign).toEqual([]);
    await context.close();
  });

  it('serve the chat with no-store and a CSP that lets the browser talk only to the homeserver and the bot', async () => {
    const response = await fetch(`${stack.siteUrl}/chat`);
    expect(response.headers.get('cache-control')).toContain('no-store');
    const csp = response.headers.get('content-security-policy') ?? '';
    const connect = /connect-src ([^;]*)/.exec(csp)?.[1]?.trim().split(/\s+/) ?? [];
    expect(connect.sort()).toEqual(
      ["'self'", new URL(stack.homeserverUrl).origin, new URL(stack.botUrl).origin].sort(),
    );
    expect(csp).toContain("frame-ancestors 'none'");
  });
});
