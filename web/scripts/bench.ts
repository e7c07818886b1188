/**
 * The young person's first question on a cheap phone (issue 15), on demand: `npm run bench -w web` after
 * `npm run build -w web`. Prints figures, asserts nothing.
 *
 * Chromium (playwright-core, /usr/bin/chromium) at 360 px, throttled through the DevTools protocol, against the
 * production build served by `node build`, the real bot and Synapse (the browser tests' stack). For each profile,
 * the median of RUNS cold visits of: /chat, wait until the page is idle (the young person reads it), tap
 * « Commencer la conversation », time until the first triage question is on screen. The floor is a page on the
 * same origin that makes only the protocol's calls (register a guest, open through the bot, join, /sync until the
 * question is there) and writes the question as text. Also: when the button becomes usable, and the JavaScript
 * the browser fetched before and after the tap (Brotli sizes of the files, as the production proxy sends them).
 *
 * BENCH_RUNS (default 3), BENCH_PROFILES (names as printed, separated by « ; »), ESPACE_WEB_BUILD (another build, e.g. an
 * older one for before/after figures).
 */
import { createServer, request as httpRequest } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { brotliCompressSync, constants } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_FLAGS } from '../../tests/e2e/agent-client/support/stack.ts';
import { startWebStack, teardown } from '../../tests/e2e/web/support/global-setup.ts';

/**
 * DevTools' « Fast 3G » (its NetworkManager presets: 1.6 Mbps × 0.9 down, 750 kbps × 0.9 up, 150 ms × 3.75
 * latency); Lighthouse's « slow 4G » (its mobileSlow4G: RTT 150 ms, 1.6 Mbps down, 750 kbps up).
 */
const NETWORKS = {
  'Fast 3G': { latency: 562.5, downloadThroughput: (1.6 * 1_000_000 * 0.9) / 8, uploadThroughput: (750 * 1000 * 0.9) / 8 },
  'slow 4G': { latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 },
} as const;
const PROFILES = [
  { name: 'Fast 3G, CPU 4×', network: NETWORKS['Fast 3G'], cpu: 4 },
  { name: 'Fast 3G, CPU 6×', network: NETWORKS['Fast 3G'], cpu: 6 },
  { name: 'slow 4G, CPU 4×', network: NETWORKS['slow 4G'], cpu: 4 },
  { name: 'slow 4G, CPU 6×', network: NETWORKS['slow 4G'], cpu: 6 },
].filter((profile) => !process.env.BENCH_PROFILES || process.env.BENCH_PROFILES.split(';').includes(profile.name));
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const FLOOR_PATH = '/__floor';

/** Marks, in the page's own clock: the button usable, the tap, the first question on screen. */
const PROBE = `(() => {
  const marks = (window.__bench = {});
  const check = () => {
    const button = [...document.querySelectorAll('button')].find((b) => /Commencer la conversation/.test(b.textContent || ''));
    if (button && !button.disabled && marks.usable === undefined) marks.usable = performance.now();
    if (marks.tap !== undefined && marks.question === undefined && document.querySelector('.choices button, #question:not(:empty)')) marks.question = performance.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  addEventListener('click', () => { if (marks.tap === undefined) marks.tap = performance.now(); }, true);
  document.addEventListener('DOMContentLoaded', check);
})();`;

function floorPage(homeserverUrl: string, botUrl: string): string {
  const script = `
const hs = ${JSON.stringify(homeserverUrl)}, bot = ${JSON.stringify(botUrl)};
const call = async (url, init = {}) => { const r = await fetch(url, { cache: 'no-store', credentials: 'omit', ...init }); return r.json(); };
document.getElementById('start').addEventListener('click', async () => {
  const guest = await call(hs + '/_matrix/client/v3/register?kind=guest', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const auth = { authorization: 'Bearer ' + guest.access_token };
  const json = { ...auth, 'content-type': 'application/json' };
  const opened = await call(bot + '/api/conversations', { method: 'POST', headers: json, body: '{}' });
  await call(hs + '/_matrix/client/v3/join/' + encodeURIComponent(opened.roomId), { method: 'POST', headers: json, body: '{}' });
  const filter = encodeURIComponent(JSON.stringify({ room: { rooms: [opened.roomId], timeline: { limit: 20 } } }));
  let since = '';
  for (;;) {
    const sync = await call(hs + '/_matrix/client/v3/sync?timeout=' + (since ? 30000 : 0) + '&filter=' + filter + (since ? '&since=' + since : ''), { headers: auth });
    since = sync.next_batch;
    const events = sync.rooms?.join?.[opened.roomId]?.timeline?.events ?? [];
    const question = events.find((e) => e.type === 'm.room.message' && e.content['fr.espace-mineurs.triage_question']);
    if (question) { document.getElementById('question').textContent = question.content.body; return; }
  }
});`;
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>floor</title></head><body><button id="start" type="button">Commencer la conversation</button><p id="question"></p><script>${script}</script></body></html>`;
}

interface Run {
  tapToQuestion: number;
  usable: number;
  jsBefore: number;
  jsAfter: number;
}

const brotliSizes = new Map<string, number>();

async function visit(browser: Browser, url: string, profile: (typeof PROFILES)[number]): Promise<Run> {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await context.addInitScript(PROBE);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, ...profile.network });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: profile.cpu });
  let tapped = false;
  let inFlight = 0;
  let lastActivity = Date.now();
  const settle = () => {
    inFlight = Math.max(0, inFlight - 1);
    lastActivity = Date.now();
  };
  page.on('request', () => {
    inFlight++;
    lastActivity = Date.now();
  });
  page.on('requestfinished', settle);
  page.on('requestfailed', settle);
  const js = { before: 0, after: 0 };
  const pending: Promise<void>[] = [];
  page.on('response', (response) => {
    if (response.request().resourceType() !== 'script' || !response.url().startsWith(url.slice(0, url.indexOf('/', 8)))) return;
    const after = tapped;
    pending.push(response.body().then((body) => {
      let size = brotliSizes.get(response.url());
      if (size === undefined) {
        size = brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
        brotliSizes.set(response.url(), size);
      }
      js[after ? 'after' : 'before'] += size;
    }, () => undefined));
  });
  await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
  const button = page.getByRole('button', { name: 'Commencer la conversation' });
  await page.waitForFunction(() => (window as unknown as { __bench: { usable?: number } }).__bench.usable !== undefined, undefined, { timeout: 60_000 });
  // The young person reads the page: everything it fetches on its own (the chat's code) arrives meanwhile.
  // Playwright's networkidle is sticky (it may have fired before hydration), so quiet is watched here: no
  // request in flight for a second after the button became usable.
  const deadline = Date.now() + 60_000;
  while ((inFlight > 0 || Date.now() - lastActivity < 1000) && Date.now() < deadline) await new Promise((done) => setTimeout(done, 100));
  await Promise.all(pending);
  tapped = true;
  await button.tap();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text().slice(0, 200));
  });
  page.on('requestfailed', (request) => problems.push(`${request.method()} ${new URL(request.url()).pathname} failed: ${request.failure()?.errorText ?? ''}`));
  try {
    await page.waitForFunction(() => (window as unknown as { __bench: { question?: number } }).__bench.question !== undefined, undefined, { timeout: 90_000, polling: 200 });
  } catch (error) {
    const shown = await page.evaluate(() => document.body.innerText.slice(0, 300)).catch(() => '?');
    await context.close();
    throw new Error(`no question on ${url} within 90 s: ${problems.join(' | ')} — page shows: ${shown.replace(/\s+/g, ' ')}`, { cause: error });
  }
  const marks = await page.evaluate(() => (window as unknown as { __bench: { usable: number; tap: number; question: number } }).__bench);
  await Promise.all(pending);
  await context.close();
  return { tapToQuestion: marks.question - marks.tap, usable: marks.usable, jsBefore: js.before, jsAfter: js.after };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

const started = Date.now();
const proxyPort = await new Promise<number>((done) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const address = probe.address();
    probe.close(() => done(typeof address === 'object' && address ? address.port : 0));
  });
});
const proxyOrigin = `http://127.0.0.1:${proxyPort}`;
const { stack } = await startWebStack({ agentClient: false, extraWebOrigins: [proxyOrigin], botOverrides: { rateLimits: { openPerIp: 100_000, openPerGuest: 100 } } });
const floorHtml = floorPage(stack.homeserverUrl, stack.botUrl);
// The site through a pass-through proxy that also serves the floor page: both on one origin.
const proxy = await new Promise<{ url: string; close: () => void }>((done) => {
  const target = new URL(stack.siteUrl);
  const server = createServer((incoming, outgoing) => {
    if (incoming.url === FLOOR_PATH) {
      outgoing.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      outgoing.end(floorHtml);
      return;
    }
    const forward = httpRequest({ host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: { ...incoming.headers, host: target.host } }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forward.on('error', () => outgoing.destroy());
    incoming.pipe(forward);
  });
  server.listen(proxyPort, '127.0.0.1', () => done({ url: proxyOrigin, close: () => server.close() }));
});
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_FLAGS.filter((flag) => flag !== '--headless'), headless: true });
process.stderr.write(`[bench] stack ready in ${((Date.now() - started) / 1000).toFixed(0)} s; ${RUNS} runs per page and profile\n`);

const lines: string[] = [];
const extra: string[] = [];
try {
  for (const profile of PROFILES) {
    const site: Run[] = [];
    const floor: Run[] = [];
    // Alternated, so both pages see the same load on the machine.
    for (let run = 0; run < RUNS; run++) {
      site.push(await visit(browser, `${proxy.url}/chat`, profile));
      floor.push(await visit(browser, `${proxy.url}${FLOOR_PATH}`, profile));
      process.stderr.write(`[bench] ${profile.name} run ${run + 1}: site ${seconds(site.at(-1)!.tapToQuestion)}, floor ${seconds(floor.at(-1)!.tapToQuestion)}\n`);
    }
    const siteMedian = median(site.map((run) => run.tapToQuestion));
    const floorMedian = median(floor.map((run) => run.tapToQuestion));
    lines.push(`| ${profile.name} | ${seconds(siteMedian)} | ${seconds(floorMedian)} | ${(siteMedian / floorMedian).toFixed(2)} |`);
    extra.push(`| ${profile.name} | ${seconds(median(site.map((run) => run.usable)))} | ${seconds(median(floor.map((run) => run.usable)))} | ${kb(median(site.map((run) => run.jsBefore)))} | ${kb(median(site.map((run) => run.jsAfter)))} |`);
  }
} finally {
  await browser.close();
  proxy.close();
  await teardown();
}

process.stdout.write(`\nTap on « Commencer la conversation » → first triage question on screen (median of ${RUNS}, 360 px, node build):\n\n`);
process.stdout.write(`| profile | site | floor | site ÷ floor |\n| --- | --- | --- | --- |\n${lines.join('\n')}\n\n`);
process.stdout.write(`Button usable after navigation start (site; the floor's plain HTML button), and the site's JavaScript fetched\n(Brotli sizes) before and after the tap:\n\n`);
process.stdout.write(`| profile | button usable, site | floor | JS before tap | JS after tap |\n| --- | --- | --- | --- | --- |\n${extra.join('\n')}\n\n`);
process.stdout.write(`load average at the end: ${loadavg().map((value) => value.toFixed(1)).join(' ')} (${cpus().length} cores)\n`);
process.stdout.write(`(${((Date.now() - started) / 1000).toFixed(0)} s in all)\n`);
