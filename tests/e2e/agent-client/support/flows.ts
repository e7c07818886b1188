import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { waitUntil } from '../../../support/wait.ts';
import { auditScreen } from './audit.ts';

const SHOTS = process.env.ESPACE_SCREENSHOTS ?? join(tmpdir(), 'espace-agent-client-screens');
mkdirSync(SHOTS, { recursive: true });

/** A screenshot of the page as it is, for the reviewer. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/**
 * One screen audited (axe-core, 360 px and 1280 px) and asserted at once: no serious or critical violation.
 * Each test asserts the screens it shows, so no test depends on another having audited before it.
 */
export async function assertAccessible(page: Page, name: string): Promise<void> {
  const problems: string[] = [];
  await auditScreen(page, name, problems);
  expect(problems).toEqual([]);
}

/** The sidebar's button of a conversation the agent holds (`n° 12`, not `n° 123`). */
export const mineButton = (page: Page, ticket: number) =>
  page.locator('.mine button', { hasText: new RegExp(`n° ${ticket}(?!\\d)`) });

/** Opens a conversation the agent holds, once the bot's invitation was accepted (the timeline is shown). */
export async function openMine(page: Page, ticket: number): Promise<void> {
  const mine = mineButton(page, ticket);
  await mine.waitFor({ timeout: 20_000 });
  // The suites' typed wait, not expect.poll: a file's beforeAll opens conversations this way too.
  await waitUntil(
    `conversation n° ${ticket} open`,
    async () => {
      await mine.click();
      return (await page.locator('.timeline').count()) === 1 ? true : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 150 },
  );
}

/**
 * Claims a waiting conversation from the queue and opens it once the bot's invitation was accepted. The queue is
 * asked for again until the row can be taken: a conversation claimed just before opens by itself once joined,
 * and may take the screen from the queue.
 */
export async function claimAndOpen(page: Page, ticket: number): Promise<void> {
  const take = page
    .locator('li.row', { hasText: new RegExp(`n° ${ticket}(?!\\d)`) })
    .getByRole('button', { name: 'Prendre' });
  await waitUntil(
    `conversation n° ${ticket} taken from the queue`,
    async () => {
      // The menu's entry: a closed conversation's summary has a « File d'attente » button of its own.
      await page.locator('button.nav-item', { hasText: "File d'attente" }).click();
      await take.click({ timeout: 2_000 });
      return true;
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  await openMine(page, ticket);
}
