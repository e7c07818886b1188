import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { auditScreen } from './support/audit.ts';
import { loginAs } from './support/browser.ts';
import { startAgentClientStack, type AgentClientStack } from './support/stack.ts';

/**
 * Issue 12, item 5, on the agent's side: a young person who leaves by quick exit (the site's beacon) is shown to
 * the agent at once, in the open conversation, and the conversation stays theirs to close with an outcome.
 * Self-contained: its own stack, its own conversation; axe-core and screenshots at 360 px and 1280 px.
 */
let stack: AgentClientStack;
const problems: string[] = [];

beforeAll(async () => {
  stack = await startAgentClientStack();
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the young person leaves while an agent holds the conversation', () => {
  let page: Page;

  afterAll(async () => {
    await page?.context().close();
  });

  it('tells the agent at once, without a reload, and lets them close it with an outcome', async () => {
    const opened = await stack.engine.openConversation({
      force: 'police',
      what: 'harcelement',
      firstWords: ['bonjour'],
    });
    page = await loginAs(stack, await stack.browser.newContext(), 'pn-agent-1');
    await page.getByRole('switch').click();
    await expect.poll(() => page.getByRole('switch').textContent(), { timeout: 20_000 }).toContain('En service');
    await page
      .locator('li.row', { hasText: `n° ${opened.entry.ticket}` })
      .getByRole('button', { name: 'Prendre' })
      .click();
    await page.locator('.timeline').waitFor({ timeout: 30_000 });
    const left = page.getByRole('status').filter({ hasText: 'Le jeune a quitté la conversation' });
    expect(await left.count()).toBe(0);

    await stack.engine.guestLeaves(opened.guest);
    await left.waitFor({ timeout: 20_000 });
    await auditScreen(page, 'guest-left', problems);
    expect(problems).toEqual([]);

    await page.getByRole('button', { name: 'Clôturer' }).click();
    const dialog = page.getByRole('dialog', { name: /Clôturer la conversation/ });
    await dialog.getByLabel(/3018/).check();
    await dialog.getByRole('button', { name: 'Clôturer' }).click();
    await page
      .getByRole('heading', { name: `Conversation n° ${opened.entry.ticket} clôturée` })
      .waitFor({ timeout: 20_000 });
  });
});
