import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { CHROMIUM_FLAGS } from '../../agent-client/support/stack.ts';
import type { WebStack } from './stack.ts';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // Playwright gives each launch a fresh profile directory itself (it refuses --user-data-dir).
    args: CHROMIUM_FLAGS.filter((flag) => flag !== '--headless'),
    headless: true,
  });
}

export const PHONE = { width: 360, height: 740 };
export const DESKTOP = { width: 1280, height: 800 };

const SHOTS = process.env.ESPACE_SCREENSHOTS;
if (SHOTS) mkdirSync(SHOTS, { recursive: true });

/**
 * Screenshots at both sizes into $ESPACE_SCREENSHOTS (when set); the page keeps its viewport afterwards.
 * Content pages are taken whole; the chat as the screen shows it (its header is sticky), scrolled to `focus`
 * (e.g. its latest message) since the test's own clicks and key presses move the page.
 */
export async function screens(
  page: Page,
  name: string,
  options: { fullPage?: boolean; focus?: Locator } = {},
): Promise<void> {
  if (!SHOTS) return;
  const fullPage = options.fullPage ?? !options.focus;
  const before = page.viewportSize() ?? PHONE;
  for (const size of [PHONE, DESKTOP]) {
    await page.setViewportSize(size);
    await options.focus?.evaluate((element) => element.scrollIntoView({ block: 'center' }));
    await page.screenshot({ path: join(SHOTS, `web-${name}-${size.width}.png`), fullPage, animations: 'disabled' });
  }
  await page.setViewportSize(before);
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * axe-core (WCAG 2.1 A/AA and best practices) on the page as it is now. Evaluated through the DevTools protocol,
 * so the site's strict CSP needs no exception. Returns the serious and critical violations, described.
 */
export async function axeSerious(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run(
            context: unknown,
            options: unknown,
          ): Promise<{
            violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }>;
          }>;
        };
      }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.slice(0, 3).map((node) => node.target.join(' ')),
    }));
  });
  return (violations as AxeViolation[])
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${new URL(page.url()).pathname}: ${violation.impact} ${violation.id} — ${violation.help} (${violation.targets.join(', ')})`,
    );
}

/**
 * Records every request of a young person's browser context that goes anywhere but the site, the homeserver and
 * the bot. The neutral page of the quick exit is allowed only as a top-level navigation.
 */
export function watchOrigins(context: BrowserContext, stack: WebStack): { foreign: string[] } {
  const allowed = new Set([stack.siteUrl, stack.homeserverUrl, stack.botUrl].map((url) => new URL(url).origin));
  const neutral = new URL(stack.neutralUrl).origin;
  const foreign: string[] = [];
  context.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol === 'data:' || url.protocol === 'blob:' || url.protocol === 'about:') return;
    if (allowed.has(url.origin)) return;
    if (
      url.origin === neutral &&
      request.isNavigationRequest() &&
      request.frame() === request.frame().page()?.mainFrame()
    )
      return;
    foreign.push(`${request.method()} ${url.origin}${url.pathname}`);
  });
  return { foreign };
}
