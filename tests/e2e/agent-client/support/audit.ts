import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { axeSerious, DESKTOP, PHONE } from '../../web/support/browser.ts';

const SHOTS = process.env.ESPACE_SCREENSHOTS ?? join(tmpdir(), 'espace-agent-client-screens');
mkdirSync(SHOTS, { recursive: true });

/**
 * One screen of the agent client, checked as the site's screens are: axe-core (WCAG 2.1 A/AA and best practices;
 * serious and critical findings) and a screenshot, on a 360 px phone and a 1280 px desktop. Findings are added to
 * `problems`, named by screen and width, for a test to assert empty; the page gets its viewport back.
 */
export async function auditScreen(page: Page, name: string, problems: string[]): Promise<void> {
  const before = page.viewportSize() ?? DESKTOP;
  for (const size of [PHONE, DESKTOP]) {
    await page.setViewportSize(size);
    await page.waitForTimeout(250); // the drawer's and the layout's transitions
    for (const problem of await axeSerious(page)) problems.push(`${name} @${size.width}px: ${problem}`);
    await page.screenshot({ path: join(SHOTS, `agent-${name}-${size.width}.png`), animations: 'disabled' });
  }
  await page.setViewportSize(before);
}

/** WCAG contrast ratio of two CSS colours given as `rgb(r, g, b)` (or rgba). */
export function contrast(a: string, b: string): number {
  const luminance = (css: string) => {
    const [r = 0, g = 0, bl = 0] = (css.match(/[\d.]+/g) ?? []).map(Number);
    const channel = (value: number) => {
      const c = value / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(bl);
  };
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}
