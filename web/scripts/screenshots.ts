/**
 * Takes screenshots of every page at a phone size (360×740) and a laptop size (1280×800), and reports
 * requests to other origins and console errors (a CSP violation shows up there).
 *
 * Usage: node scripts/screenshots.ts [baseUrl] [outDir]   (defaults: http://127.0.0.1:4173, /tmp/web-shots)
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const baseUrl = process.argv[2] ?? 'http://127.0.0.1:4173';
const outDir = process.argv[3] ?? '/tmp/web-shots';
const paths = (
  process.env.SHOT_PATHS ?? '/,/lieu/maison-rue-sport,/infos/sextorsion,/infos/comment-ca-marche,/chat'
).split(',');
const viewports = [
  { name: 'phone', width: 360, height: 740 },
  { name: 'desktop', width: 1280, height: 800 },
];

mkdirSync(outDir, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const origin = new URL(baseUrl).origin;
for (const viewport of viewports) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      process.stdout.write(`[${viewport.name}] console ${message.type()}: ${message.text()}\n`);
  });
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol.startsWith('http') && url.origin !== origin)
      process.stdout.write(`[${viewport.name}] THIRD-PARTY ${request.url()}\n`);
  });
  for (const path of paths) {
    await page.goto(baseUrl + path, { waitUntil: 'networkidle' });
    // Tiles of one screen each: a whole long page shrinks to unreadable when looked at as one image.
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    const tiles = Math.min(Math.ceil(height / viewport.height), Number(process.env.SHOT_MAX_TILES ?? 8));
    for (let tile = 0; tile < tiles; tile++) {
      const file = join(outDir, `${viewport.name}${path.replaceAll('/', '_')}-${tile}.png`);
      const y = tile * viewport.height;
      await page.screenshot({
        path: file,
        fullPage: true,
        clip: { x: 0, y, width: viewport.width, height: Math.min(viewport.height, height - y) },
      });
      process.stdout.write(`${file}\n`);
    }
  }
  await context.close();
}
await browser.close();
