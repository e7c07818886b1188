/**
 * Runs axe-core (WCAG 2.1 A/AA rules) on every page of the built site and fails on a serious or critical
 * violation. axe is evaluated through the DevTools protocol, so the site's strict CSP needs no exception.
 *
 * Usage: node tests/e2e/web/axe-audit.ts [siteUrl]
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const site = process.argv[2] ?? 'http://127.0.0.1:4173';
const paths = [
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
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
let failures = 0;
for (const width of [320, 1280]) {
  const page = await browser.newPage({ viewport: { width, height: 800 } });
  for (const path of paths) {
    await page.goto(site + path, { waitUntil: 'networkidle' });
    await page.evaluate(axeSource);
    const violations = (await page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run(options: unknown): Promise<{ violations: unknown[] }> } }).axe;
      const result = await axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
      return result.violations;
    })) as Violation[];
    const serious = violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
    failures += serious.length;
    for (const violation of violations) {
      process.stdout.write(`${width}px ${path}: ${violation.impact} ${violation.id} — ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).slice(0, 3).join(', ')})\n`);
    }
  }
  await page.close();
}
await browser.close();
process.stdout.write(failures === 0 ? 'axe: no serious or critical violation\n' : `axe: ${failures} serious or critical violation(s)\n`);
process.exit(failures === 0 ? 0 : 1);
