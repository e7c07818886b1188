import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_FLAGS } from '../e2e/agent-client/support/stack.ts';
import { DESKTOP, PHONE } from '../e2e/web/support/browser.ts';
import { say, statusBar, storedChat, TRIAGE_CLICKS } from '../e2e/web/support/young.ts';
import type { ProductionStack } from './stack.ts';

/**
 * A young person and a police agent, in Chromium, over HTTPS through the proxy only: the site from its home page,
 * the built agent client on its own host, each talking to Matrix and the bot on its own origin. Both names are
 * mapped to loopback by Chromium itself; Caddy's internal CA is accepted by the contexts (edge.test.ts verifies
 * the certificates against it). Any CSP violation on either side fails the test: the proxy's policy must not
 * break the apps it protects.
 */
const stack: ProductionStack = inject('productionStack');

let browser: Browser;
let young: Page;
let agent: Page;
const violations: string[] = [];
const foreign: string[] = [];

async function contextFor(viewport: { width: number; height: number }, allowed: string): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport, ignoreHTTPSErrors: true });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { __csp: string[] }).__csp ??= [];
      (window as unknown as { __csp: string[] }).__csp.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  context.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text()))
      violations.push(message.text().slice(0, 300));
  });
  // Each app talks to its own origin only: Matrix and the bot are behind the same proxy host.
  context.on('request', (request) => {
    const url = new URL(request.url());
    if (['data:', 'blob:', 'about:'].includes(url.protocol)) return;
    if (url.origin !== allowed) foreign.push(`${request.method()} ${url.origin}${url.pathname}`);
  });
  return context;
}

/**
 * zod 4 probes whether it may compile validators with `Function('')`, in a try/catch, and falls back when the CSP
 * refuses (as it must: no 'unsafe-eval' on either host). That refusal is reported as a violation with the blocked
 * URI "eval"; it is the CSP working, not the app breaking. Everything else counts.
 */
const ZOD_JIT_PROBE = 'script-src eval';

async function cspViolations(page: Page): Promise<string[]> {
  const all = await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);
  return all.filter((violation) => violation !== ZOD_JIT_PROBE);
}

/**
 * The triage from the home page (no entry point, so the first question is where it happens), by clicks. The
 * timeouts are those of a production-shaped stack on a busy 2-core machine: Synapse on PostgreSQL is slower
 * there than on SQLite (the bot creates the room, invites, then asks).
 */
const FROM_HOME = ['À la maison, dans la rue, au sport', ...TRIAGE_CLICKS];
async function triage(page: Page): Promise<void> {
  for (const label of FROM_HOME) {
    const option = page.getByRole('button', { name: label, exact: true });
    await option.waitFor({ timeout: 60_000 });
    await option.click();
    await page.getByRole('log').getByText(label, { exact: true }).waitFor({ timeout: 30_000 });
    await option.waitFor({ state: 'detached', timeout: 30_000 });
  }
  await page.getByText('Quel est le code postal', { exact: false }).last().waitFor({ timeout: 60_000 });
  await say(page, '75011');
}

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      ...CHROMIUM_FLAGS.filter((flag) => flag !== '--headless'),
      `--host-resolver-rules=MAP ${stack.siteHost} 127.0.0.1, MAP ${stack.agentsHost} 127.0.0.1`,
    ],
    headless: true,
  });
  young = await (await contextFor(PHONE, stack.siteUrl)).newPage();
  agent = await (await contextFor(DESKTOP, stack.agentsUrl)).newPage();
});

afterAll(async () => {
  await browser?.close();
});

describe('a young person and an agent, through the production proxy', () => {
  it('the young person goes from the home page into the chat and reaches the police queue', async () => {
    await young.goto(`${stack.siteUrl}/`);
    await young.getByRole('link', { name: 'Parler à un policier ou un gendarme' }).first().click();
    await young.waitForURL(/\/chat/);
    await young.getByRole('button', { name: 'Commencer la conversation' }).click();
    await triage(young);
    await expect.poll(() => statusBar(young).textContent(), { timeout: 60_000 }).toContain('Police nationale');
    await say(young, 'bonjour, j’ai besoin d’aide');
    await young.getByRole('log').getByText('bonjour, j’ai besoin d’aide', { exact: true }).waitFor({ timeout: 30_000 });
    const chat = await storedChat(young);
    expect(chat?.roomId, 'the site opened a conversation room').toBeTruthy();
  });

  it('a police agent logs into the built agent client, claims it, and they talk both ways', async () => {
    const account = stack.demo.find((candidate) => candidate.handle === 'pn-agent-1');
    if (!account) throw new Error('no demo account pn-agent-1');
    await agent.goto(`${stack.agentsUrl}/`);
    await agent.getByLabel('Identifiant').fill(account.localpart);
    await agent.getByLabel('Mot de passe').fill(account.password);
    await agent.getByRole('button', { name: 'Se connecter' }).click();
    await agent.locator('.sidebar').waitFor({ timeout: 30_000 });
    // A fresh stack: this is the only conversation waiting.
    const row = agent
      .locator('li.row')
      .filter({ has: agent.getByRole('button', { name: 'Prendre' }) })
      .first();
    await row.waitFor({ timeout: 30_000 });
    await row.getByRole('button', { name: 'Prendre' }).click();
    const mine = agent.locator('.mine button').first();
    await mine.waitFor({ timeout: 30_000 });
    await expect
      .poll(
        async () => {
          await mine.click();
          return agent.locator('.timeline').count();
        },
        { timeout: 30_000 },
      )
      .toBe(1);
    const timeline = agent.locator('.timeline');
    await expect.poll(() => timeline.textContent(), { timeout: 45_000 }).toContain('j’ai besoin d’aide');

    await agent.locator('#composer-input').fill('Bonjour, je suis Alex. Je t’écoute.');
    await agent.locator('#composer-input').press('Enter');
    await young
      .getByRole('log')
      .getByText('Bonjour, je suis Alex. Je t’écoute.', { exact: true })
      .waitFor({ timeout: 45_000 });
    await expect.poll(() => statusBar(young).textContent(), { timeout: 45_000 }).toMatch(/Tu parles avec/);
    await say(young, 'merci');
    await expect.poll(() => timeline.textContent(), { timeout: 45_000 }).toContain('merci');
  });

  it('the agent closes it; the young person sees the end of the conversation', async () => {
    await agent.getByRole('button', { name: 'Clôturer' }).click();
    await agent.getByRole('dialog', { name: /Clôturer la conversation/ }).waitFor();
    await agent.getByLabel(/3018/).check();
    await agent.getByRole('dialog').getByRole('button', { name: 'Clôturer' }).click();
    await young.getByRole('heading', { name: 'La conversation est terminée' }).waitFor({ timeout: 30_000 });
    expect(await storedChat(young)).toBeUndefined();
  });

  it('broke no CSP rule and reached no other origin, on either side', async () => {
    expect([...(await cspViolations(young)), ...(await cspViolations(agent)), ...violations]).toEqual([]);
    expect(foreign).toEqual([]);
  });
});
