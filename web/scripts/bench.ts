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
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_FLAGS } from '../../tests/e2e/agent-client/support/stack.ts';
import { startWebStack, teardown } from '../../tests/e2e/web/support/global-setup.ts';
import {
  FLOOR_RELOAD_PATH,
  floorReloadPage,
  longConversation,
  reloadVisit,
  RELOAD_MESSAGES,
  type ReloadTimes,
} from './bench-reload.ts';
import {
  FLOOR_PATH,
  floorProxy,
  freePort,
  PROXY_SITE_HOST,
  startProductionProxy,
  type ProductionProxy,
} from './bench-proxy.ts';

/**
 * DevTools' « Fast 3G » (its NetworkManager presets: 1.6 Mbps × 0.9 down, 750 kbps × 0.9 up, 150 ms × 3.75
 * latency); Lighthouse's « slow 4G » (its mobileSlow4G: RTT 150 ms, 1.6 Mbps down, 750 kbps up).
 */
const NETWORKS = {
  'Fast 3G': {
    latency: 562.5,
    downloadThroughput: (1.6 * 1_000_000 * 0.9) / 8,
    uploadThroughput: (750 * 1000 * 0.9) / 8,
  },
  'slow 4G': { latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 },
} as const;
const PROFILES = [
  { name: 'Fast 3G, CPU 4×', network: NETWORKS['Fast 3G'], cpu: 4 },
  { name: 'Fast 3G, CPU 6×', network: NETWORKS['Fast 3G'], cpu: 6 },
  { name: 'slow 4G, CPU 4×', network: NETWORKS['slow 4G'], cpu: 4 },
  { name: 'slow 4G, CPU 6×', network: NETWORKS['slow 4G'], cpu: 6 },
].filter((profile) => !process.env.BENCH_PROFILES || process.env.BENCH_PROFILES.split(';').includes(profile.name));
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** How the browser reaches the site: `node build` directly (HTTP/1.1), or through the production proxy (HTTP/2). */
const ROUTES = ['node build', 'Caddy, HTTP/2'].filter(
  (route) => !process.env.BENCH_ROUTES || process.env.BENCH_ROUTES.split(';').includes(route),
);

/** Marks, in the page's own clock: the button usable, the tap, the first question on screen. */
const PROBE = `(() => {
  const marks = (window.__bench = {});
  const check = () => {
    const button = [...document.querySelectorAll('button')].find((b) => /Commencer la conversation/.test(b.textContent || ''));
    // Usable once a frame has been painted with the button enabled (the stylesheet is in, it is on screen).
    if (button && !button.disabled && marks.enabled === undefined) { marks.enabled = performance.now(); requestAnimationFrame(() => { marks.usable = performance.now(); }); }
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
  /** From the start of navigation: what a young person who taps at once waits in all. */
  navigationToQuestion: number;
  usable: number;
  jsBefore: number;
  jsAfter: number;
}

const brotliSizes = new Map<string, number>();

const protocols = new Map<string, Set<string>>();

/** One cold visit; `early`: tap as soon as the button is usable instead of after reading the page. */
async function visit(
  browser: Browser,
  url: string,
  profile: (typeof PROFILES)[number],
  route: string,
  early = false,
): Promise<Run> {
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    ignoreHTTPSErrors: true,
  });
  await context.addInitScript(PROBE);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const seen = protocols.get(route) ?? new Set<string>();
  protocols.set(route, seen);
  cdp.on('Network.responseReceived', (event: { response: { protocol?: string } }) => {
    if (event.response.protocol) seen.add(event.response.protocol);
  });
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
    if (response.request().resourceType() !== 'script' || !response.url().startsWith(url.slice(0, url.indexOf('/', 8))))
      return;
    const after = tapped;
    pending.push(
      response.body().then(
        (body) => {
          let size = brotliSizes.get(response.url());
          if (size === undefined) {
            size = brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
            brotliSizes.set(response.url(), size);
          }
          js[after ? 'after' : 'before'] += size;
        },
        () => undefined,
      ),
    );
  });
  await page.goto(url, { waitUntil: early ? 'commit' : 'load', timeout: 120_000 });
  const button = page.getByRole('button', { name: 'Commencer la conversation' });
  await page.waitForFunction(
    () => (window as unknown as { __bench: { usable?: number } }).__bench.usable !== undefined,
    undefined,
    { timeout: 60_000 },
  );
  if (!early) {
    // The young person reads the page: everything it fetches on its own (the chat's code) arrives meanwhile.
    // Playwright's networkidle is sticky (it may have fired before hydration), so quiet is watched here: no
    // request in flight for a second after the button became usable.
    const deadline = Date.now() + 60_000;
    while ((inFlight > 0 || Date.now() - lastActivity < 1000) && Date.now() < deadline)
      await new Promise((done) => setTimeout(done, 100));
    await Promise.all(pending);
  }
  tapped = true;
  await button.tap();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text().slice(0, 200));
  });
  page.on('requestfailed', (request) =>
    problems.push(
      `${request.method()} ${new URL(request.url()).pathname} failed: ${request.failure()?.errorText ?? ''}`,
    ),
  );
  try {
    await page.waitForFunction(
      () => (window as unknown as { __bench: { question?: number } }).__bench.question !== undefined,
      undefined,
      { timeout: 90_000, polling: 200 },
    );
  } catch (error) {
    const shown = await page.evaluate(() => document.body.innerText.slice(0, 300)).catch(() => '?');
    await context.close();
    throw new Error(
      `no question on ${url} within 90 s: ${problems.join(' | ')} — page shows: ${shown.replace(/\s+/g, ' ')}`,
      { cause: error },
    );
  }
  const marks = await page.evaluate(
    () => (window as unknown as { __bench: { usable: number; tap: number; question: number } }).__bench,
  );
  await Promise.all(pending);
  await context.close();
  return {
    tapToQuestion: marks.question - marks.tap,
    navigationToQuestion: marks.question,
    usable: marks.usable,
    jsBefore: js.before,
    jsAfter: js.after,
  };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

const started = Date.now();
const SITE_BUILD = resolve(process.env.ESPACE_WEB_BUILD ?? join(import.meta.dirname, '..', 'build'));
const [proxyPort, httpsPort] = [await freePort(), await freePort()];
const proxyOrigin = `http://127.0.0.1:${proxyPort}`;
const { stack } = await startWebStack({
  agentClient: false,
  extraWebOrigins: [proxyOrigin, `https://${PROXY_SITE_HOST}:${httpsPort}`],
  botOverrides: { rateLimits: { openPerIp: 100_000, openPerIpHard: 100_000, openPerGuest: 100 } },
});
// The site through a pass-through proxy that also serves the floor page: both on one origin.
const floorPages = (homeserverUrl: string, botUrl: string) => ({
  [FLOOR_PATH]: floorPage(homeserverUrl, botUrl),
  [FLOOR_RELOAD_PATH]: floorReloadPage(),
});
const direct = await floorProxy(proxyPort, stack.siteUrl, floorPages(stack.homeserverUrl, stack.botUrl));
let production: ProductionProxy | undefined;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    ...CHROMIUM_FLAGS.filter((flag) => flag !== '--headless'),
    `--host-resolver-rules=MAP ${PROXY_SITE_HOST} 127.0.0.1`,
  ],
  headless: true,
});

const lines: string[] = [];
const extra: string[] = [];
const earlyLines: string[] = [];
const reloadLines: string[] = [];
const reloadPhases: string[] = [];
/** Where a reload's time went: HTML, scripts, /sync, /messages, all shown (seconds from navigation start). */
const phases = (times: ReloadTimes): string =>
  [
    times.html,
    times.scripts,
    times.sync && `${seconds(times.sync[0])} → ${seconds(times.sync[1])}`,
    times.messages && `${seconds(times.messages[0])} → ${seconds(times.messages[1])}`,
    times.all,
  ]
    .map((value) => (value === undefined ? '—' : typeof value === 'number' ? seconds(value) : value))
    .join(' | ');
/** The reload is timed on the goal's profile only (issue 15: within 1.5× the floor on slow 4G). */
const RELOAD_PROFILE = { name: 'slow 4G, CPU 4×', network: NETWORKS['slow 4G'], cpu: 4 };
try {
  if (ROUTES.includes('Caddy, HTTP/2')) {
    production = await startProductionProxy({
      httpsPort,
      homeserverUrl: stack.homeserverUrl,
      botUrl: stack.botUrl,
      neutralUrl: stack.neutralUrl,
      siteBuild: SITE_BUILD,
      floorPages: (origin) => floorPages(origin, origin),
    });
  }
  process.stderr.write(
    `[bench] stack ready in ${((Date.now() - started) / 1000).toFixed(0)} s; ${RUNS} runs per page, profile and route\n`,
  );
  const conversation = process.env.BENCH_RELOAD === '0' ? undefined : await longConversation(stack);
  for (const route of ROUTES) {
    const origin = route === 'node build' ? proxyOrigin : production!.origin;
    if (conversation) {
      const homeserver = route === 'node build' ? stack.homeserverUrl : origin;
      const site: number[] = [];
      const floor: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const siteTimes = await reloadVisit(browser, `${origin}/chat`, homeserver, conversation, RELOAD_PROFILE);
        const floorTimes = await reloadVisit(
          browser,
          `${origin}${FLOOR_RELOAD_PATH}`,
          homeserver,
          conversation,
          RELOAD_PROFILE,
        );
        site.push(siteTimes.all);
        floor.push(floorTimes.all);
        reloadPhases.push(
          `| ${route} | ${run + 1} | site | ${phases(siteTimes)} |`,
          `| ${route} | ${run + 1} | floor | ${phases(floorTimes)} |`,
        );
        process.stderr.write(
          `[bench] ${route}, reload of ${RELOAD_MESSAGES} messages run ${run + 1}: site ${seconds(siteTimes.all)}, floor ${seconds(floorTimes.all)}\n`,
        );
      }
      reloadLines.push(
        `| ${route} | ${RELOAD_PROFILE.name} | ${seconds(median(site))} | ${seconds(median(floor))} | ${(median(site) / median(floor)).toFixed(2)} |`,
      );
    }
    for (const profile of PROFILES) {
      const site: Run[] = [];
      const floor: Run[] = [];
      const siteEarly: Run[] = [];
      const floorEarly: Run[] = [];
      // Alternated, so both pages see the same load on the machine.
      for (let run = 0; run < RUNS; run++) {
        site.push(await visit(browser, `${origin}/chat`, profile, route));
        floor.push(await visit(browser, `${origin}${FLOOR_PATH}`, profile, route));
        siteEarly.push(await visit(browser, `${origin}/chat`, profile, route, true));
        floorEarly.push(await visit(browser, `${origin}${FLOOR_PATH}`, profile, route, true));
        process.stderr.write(
          `[bench] ${route}, ${profile.name} run ${run + 1}: site ${seconds(site.at(-1)!.tapToQuestion)}, floor ${seconds(floor.at(-1)!.tapToQuestion)}; tapped at once: site ${seconds(siteEarly.at(-1)!.navigationToQuestion)}, floor ${seconds(floorEarly.at(-1)!.navigationToQuestion)}\n`,
        );
      }
      const siteMedian = median(site.map((run) => run.tapToQuestion));
      const floorMedian = median(floor.map((run) => run.tapToQuestion));
      lines.push(
        `| ${route} | ${profile.name} | ${seconds(siteMedian)} | ${seconds(floorMedian)} | ${(siteMedian / floorMedian).toFixed(2)} |`,
      );
      const usable = [...site, ...siteEarly].map((run) => run.usable);
      const floorUsable = [...floor, ...floorEarly].map((run) => run.usable);
      extra.push(
        `| ${route} | ${profile.name} | ${seconds(median(usable))} (${seconds(Math.min(...usable))}–${seconds(Math.max(...usable))}) | ${seconds(median(floorUsable))} | ${kb(median(site.map((run) => run.jsBefore)))} | ${kb(median(site.map((run) => run.jsAfter)))} |`,
      );
      const earlySite = median(siteEarly.map((run) => run.navigationToQuestion));
      const earlyFloor = median(floorEarly.map((run) => run.navigationToQuestion));
      earlyLines.push(
        `| ${route} | ${profile.name} | ${seconds(earlySite)} | ${seconds(earlyFloor)} | ${(earlySite / earlyFloor).toFixed(2)} |`,
      );
    }
  }
} finally {
  await browser.close();
  await production?.close();
  direct.close();
  await teardown();
}

process.stdout.write(
  `\nTap on « Commencer la conversation » after reading the page → first triage question on screen (median of ${RUNS}, 360 px):\n\n`,
);
process.stdout.write(
  `| route | profile | site | floor | site ÷ floor |\n| --- | --- | --- | --- | --- |\n${lines.join('\n')}\n\n`,
);
process.stdout.write(
  `Tapped as soon as the button is usable: navigation start → first question on screen (median of ${RUNS}):\n\n`,
);
process.stdout.write(
  `| route | profile | site | floor | site ÷ floor |\n| --- | --- | --- | --- | --- |\n${earlyLines.join('\n')}\n\n`,
);
process.stdout.write(
  `Button usable (first frame painted with it enabled) after navigation start, median (min–max) of both kinds of\nvisit; the floor's plain HTML button; the site's JavaScript fetched (Brotli sizes) before and after the tap:\n\n`,
);
process.stdout.write(
  `| route | profile | button usable, site | floor | JS before tap | JS after tap |\n| --- | --- | --- | --- | --- | --- |\n${extra.join('\n')}\n\n`,
);
if (reloadLines.length > 0) {
  process.stdout.write(
    `A reload in a conversation of ${RELOAD_MESSAGES} agent messages: navigation start → all of them in the page (median of ${RUNS}):\n\n`,
  );
  process.stdout.write(
    `| route | profile | site | floor | site ÷ floor |\n| --- | --- | --- | --- | --- |\n${reloadLines.join('\n')}\n\n`,
  );
  process.stdout.write(
    `Where each reload's time went (seconds from navigation start; a request as start → end):\n\n| route | run | page | HTML | last script | first /sync | first /messages | all shown |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n${reloadPhases.join('\n')}\n\n`,
  );
}
process.stdout.write(
  `protocols seen: ${[...protocols].map(([route, seen]) => `${route}: ${[...seen].join(', ')}`).join('; ')}\n`,
);
process.stdout.write(
  `load average at the end: ${loadavg()
    .map((value) => value.toFixed(1))
    .join(' ')} (${cpus().length} cores)\n`,
);
process.stdout.write(`(${((Date.now() - started) / 1000).toFixed(0)} s in all)\n`);
