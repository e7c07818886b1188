/**
 * The reload part of the benchmark (bench.ts): a conversation of 200 agent messages, reloaded on a throttled
 * phone; timed from navigation start until all 200 are on the page. The floor page on the same origin reads the
 * same session from sessionStorage and makes the one call the protocol needs for it (`/messages` backwards, 500
 * events) and writes the bodies as a list.
 */
import type { Browser } from 'playwright-core';
import { api, command, conversationEntry, enc, loginStaff, until } from '../../tests/e2e/web/support/matrix.ts';
import type { WebStack } from '../../tests/e2e/web/support/stack.ts';

export const FLOOR_RELOAD_PATH = '/__floor-reload';
export const RELOAD_MESSAGES = 200;

export interface Conversation {
  userId: string;
  accessToken: string;
  deviceId: string;
  roomId: string;
}

/** The triage answers by number for the context « ecole » (bot/triage.yaml), as tests/integration answers them. */
const TRIAGE_ANSWERS = ['1', '3', '2', '3', '75011'];

async function botMessageCount(stack: WebStack, token: string, roomId: string): Promise<number> {
  const page = await api<{ chunk: Array<{ type: string; sender: string }> }>(
    stack,
    token,
    'GET',
    `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=100`,
  );
  return page.chunk.filter((event) => event.type === 'm.room.message' && event.sender === stack.bot.userId).length;
}

/** A guest through triage and the queue, claimed by an agent who then sends 200 numbered messages. */
export async function longConversation(stack: WebStack): Promise<Conversation> {
  const guest = await api<{ user_id: string; access_token: string; device_id: string }>(
    stack,
    undefined,
    'POST',
    '/_matrix/client/v3/register?kind=guest',
    {},
  );
  const opened = await fetch(`${stack.botUrl}/api/conversations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${guest.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ context: 'ecole' }),
  });
  if (opened.status !== 201) throw new Error(`opening answered ${opened.status}`);
  const { roomId } = (await opened.json()) as { roomId: string };
  await api(stack, guest.access_token, 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, {});
  let txn = 0;
  const send = (token: string, body: string) =>
    api(
      stack,
      token,
      'PUT',
      `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/bench-reload-${Date.now()}-${txn++}`,
      { msgtype: 'm.text', body },
    );
  for (const answer of TRIAGE_ANSWERS) {
    const before = await botMessageCount(stack, guest.access_token, roomId);
    await send(guest.access_token, answer);
    await until(
      `the bot's reply to ${answer}`,
      async () => ((await botMessageCount(stack, guest.access_token, roomId)) > before ? true : undefined),
      60_000,
    );
  }
  await until(
    'the conversation in the police queue',
    async () => ((await conversationEntry(stack, 'police', roomId))?.state === 'queued' ? true : undefined),
    60_000,
  );
  const agent = await loginStaff(stack, 'pn-agent-1');
  const claimed = await command(stack, agent, 'police', { action: 'claim', conversation: roomId });
  if (!claimed.ok) throw new Error(`claim refused: ${claimed.code ?? ''}`);
  await until(
    'the agent’s invite',
    async () =>
      (await api(stack, agent.accessToken, 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, {})).room_id
        ? true
        : undefined,
    60_000,
  );
  for (let index = 1; index <= RELOAD_MESSAGES; index++)
    await send(agent.accessToken, `Message n° ${String(index).padStart(3, '0')}`);
  return { userId: guest.user_id, accessToken: guest.access_token, deviceId: guest.device_id, roomId };
}

export function floorReloadPage(): string {
  const script = `
const session = JSON.parse(sessionStorage.getItem('espace.chat'));
const hs = session.credentials.homeserverUrl, room = encodeURIComponent(session.roomId);
fetch(hs + '/_matrix/client/v3/rooms/' + room + '/messages?dir=b&limit=500', { cache: 'no-store', credentials: 'omit', headers: { authorization: 'Bearer ' + session.credentials.accessToken } })
  .then((r) => r.json())
  .then((page) => {
    const list = document.getElementById('lines');
    for (const event of page.chunk.reverse()) {
      if (event.type !== 'm.room.message') continue;
      const line = document.createElement('li');
      line.textContent = event.content.body;
      list.append(line);
    }
  });`;
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>floor</title></head><body><ol id="lines"></ol><script>${script}</script></body></html>`;
}

/** In the page's clock: when all the numbered messages are in the page. */
const RELOAD_PROBE = `(() => {
  const marks = (window.__benchReload = {});
  const check = () => {
    if (marks.all !== undefined) return;
    let count = 0;
    for (const line of document.querySelectorAll('li')) if (/Message n° \\d{3}/.test(line.textContent || '')) count++;
    if (count >= ${RELOAD_MESSAGES}) marks.all = performance.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true });
})();`;

export interface NetworkProfile {
  network: { latency: number; downloadThroughput: number; uploadThroughput: number };
  cpu: number;
}

/** In the page's clock (ms from navigation start): all shown, and when the requests on the way ended. */
export interface ReloadTimes {
  all: number;
  /** The HTML received. */
  html?: number;
  /** The last script received. */
  scripts?: number;
  /** The first /sync and the first /messages: [start, end]. */
  sync?: [number, number];
  messages?: [number, number];
}

/** A cold tab on `url` with the conversation already in session storage (a reload); navigation → all shown. */
export async function reloadVisit(
  browser: Browser,
  url: string,
  homeserverUrl: string,
  conversation: Conversation,
  profile: NetworkProfile,
): Promise<ReloadTimes> {
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    ignoreHTTPSErrors: true,
  });
  const session = {
    version: 1,
    credentials: {
      homeserverUrl,
      userId: conversation.userId,
      accessToken: conversation.accessToken,
      deviceId: conversation.deviceId,
    },
    roomId: conversation.roomId,
    outbox: [],
    txnPrefix: `bench${Date.now().toString(36)}`,
    txnCounter: 0,
  };
  await context.addInitScript(`sessionStorage.setItem('espace.chat', ${JSON.stringify(JSON.stringify(session))});`);
  await context.addInitScript(RELOAD_PROBE);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, ...profile.network });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: profile.cpu });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text().slice(0, 200));
  });
  page.on('requestfailed', (request) =>
    problems.push(
      `${request.method()} ${new URL(request.url()).pathname} failed: ${request.failure()?.errorText ?? ''}`,
    ),
  );
  const responses: string[] = [];
  page.on('console', (message) => responses.push(`console.${message.type()}: ${message.text().slice(0, 120)}`));
  page.on('response', (response) => {
    responses.push(`${response.status()} ${new URL(response.url()).pathname.slice(0, 60)}`);
    if (response.status() >= 400) problems.push(`${response.status()} ${new URL(response.url()).pathname}`);
  });
  try {
    await page.goto(url, { waitUntil: 'commit', timeout: 120_000 });
    await page.waitForFunction(
      () => (window as unknown as { __benchReload: { all?: number } }).__benchReload.all !== undefined,
      undefined,
      { timeout: 90_000, polling: 250 },
    );
    return await page.evaluate(() => {
      const entries = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      const first = (pattern: RegExp) => entries.find((entry) => pattern.test(entry.name));
      const scripts = entries.filter((entry) => /\.js(\?|$)/.test(entry.name));
      const sync = first(/\/sync\?/);
      const messages = first(/\/messages\?/);
      const html = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      return {
        all: (window as unknown as { __benchReload: { all: number } }).__benchReload.all,
        html: html?.responseEnd,
        scripts: scripts.length > 0 ? Math.max(...scripts.map((entry) => entry.responseEnd)) : undefined,
        sync: sync && [sync.startTime, sync.responseEnd],
        messages: messages && [messages.startTime, messages.responseEnd],
      };
    });
  } catch (error) {
    const shown = await page.evaluate(() => document.body.innerText.slice(0, 300)).catch(() => '?');
    throw new Error(
      `not all ${RELOAD_MESSAGES} messages on ${url} within 90 s: ${problems.join(' | ')} — responses: ${responses.slice(-40).join(', ')} — page shows: ${shown.replace(/\s+/g, ' ')}`,
      { cause: error },
    );
  } finally {
    await context.close();
  }
}
