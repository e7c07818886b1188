/**
 * Walks the chat in Chromium against the dev stack (dev-stack.ts) and the built site, taking screenshots:
 * start → triage by click → queue → agent answers (typing, receipt) → reload resumes → offline message
 * delivered once → end → quick exit. Exits non-zero on the first failed expectation.
 *
 * Usage: node tests/e2e/web/chat-flow.ts '<agent json from dev-stack>' [siteUrl] [outDir]
 */
import { mkdirSync } from 'node:fs';
import { chromium, type Page } from 'playwright-core';

const agent = JSON.parse(process.argv[2] ?? '{}') as { userId: string; accessToken: string };
const site = process.argv[3] ?? 'http://127.0.0.1:4173';
const outDir = process.argv[4] ?? '/tmp/web-chat-shots';
const homeserver = process.env.HS_URL ?? 'http://127.0.0.1:8008';
const botUrl = process.env.BOT_URL ?? 'http://127.0.0.1:8090';
const viewport = { width: Number(process.env.W ?? 360), height: Number(process.env.H ?? 740) };
mkdirSync(outDir, { recursive: true });

function expect(condition: unknown, what: string): void {
  if (!condition) throw new Error(`expected: ${what}`);
  process.stdout.write(`ok - ${what}\n`);
}

async function asAgent(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${homeserver}/_matrix/client/v3${path}`, {
    method,
    headers: { authorization: `Bearer ${agent.accessToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

async function test(path: string, body: Record<string, unknown> = {}): Promise<{ roomId: string }> {
  const response = await fetch(`${botUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return (await response.json()) as { roomId: string };
}

let shot = 0;
async function snap(page: Page, name: string): Promise<void> {
  const file = `${outDir}/${String(shot++).padStart(2, '0')}-${name}-${viewport.width}.png`;
  await page.screenshot({ path: file });
  process.stdout.write(`  ${file}\n`);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport });
const page = await context.newPage();
const allowed = new Set([new URL(site).origin, new URL(homeserver).origin, new URL(botUrl).origin]);
const foreign: string[] = [];
page.on('request', (request) => {
  const url = new URL(request.url());
  if (url.protocol.startsWith('http') && !allowed.has(url.origin)) foreign.push(url.origin);
});
page.on('response', (response) => {
  if (response.status() >= 400) process.stdout.write(`  HTTP ${response.status()} ${response.request().method()} ${response.url().replace(/access_token=[^&]+/, 'access_token=…')}\n`);
});
page.on('console', (message) => {
  if (message.type() === 'error') process.stdout.write(`  console error: ${message.text()}\n`);
});

try {
  await page.goto(`${site}/`);
  await page.getByRole('link', { name: 'Parler à un policier ou un gendarme' }).first().click();
  await page.waitForURL('**/chat');
  await snap(page, 'intro');
  await page.getByRole('button', { name: 'Commencer la conversation' }).click();
  const option = page.getByRole('button', { name: 'Sur les réseaux sociaux' });
  await option.waitFor({ timeout: 20_000 });
  expect(true, 'triage question shown as buttons');
  await snap(page, 'triage');
  await option.click();
  await page.getByRole('log').getByText('Sur les réseaux sociaux', { exact: true }).waitFor();
  await page.getByText('Envoyé').first().waitFor({ timeout: 10_000 });
  expect((await option.count()) === 0, 'buttons disappear once answered');

  const { roomId } = await test('/test/queue', { position: 3, wait: 420 });
  await page.getByText('Tu es 3e dans la file d’attente').waitFor({ timeout: 10_000 });
  expect(await page.getByText('environ 7 minutes').isVisible(), 'queue position and estimated wait shown');
  await snap(page, 'queued');

  await test('/test/assign', { roomId, agent: agent.userId, pseudonym: 'Camille' });
  await asAgent('POST', `/join/${encodeURIComponent(roomId)}`, {});
  await page.getByText('Tu parles avec Camille').waitFor({ timeout: 10_000 });
  await asAgent('PUT', `/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(agent.userId)}`, { typing: true, timeout: 10_000 });
  await page.getByText('Camille est en train d’écrire…').waitFor({ timeout: 10_000 });
  expect(true, 'agent typing shown');
  await asAgent('PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/agent-1`, { msgtype: 'm.text', body: 'Bonjour, je suis Camille. <b>Je t’écoute.</b>' });
  await page.getByText('Bonjour, je suis Camille. <b>Je t’écoute.</b>').waitFor({ timeout: 10_000 });
  expect(true, 'agent message shown as plain text');

  await page.getByLabel('Ton message').fill('Quelqu’un me menace sur Insta');
  await page.keyboard.press('Enter');
  await page.getByText('Quelqu’un me menace sur Insta').waitFor();
  await page.getByRole('log').getByRole('listitem').last().getByText('Envoyé', { exact: true }).waitFor({ timeout: 10_000 });
  expect(true, 'delivery state shown on the young person’s message');
  const messages = (await asAgent('GET', `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=30`)) as { chunk: { event_id: string; type: string; sender: string }[] };
  const lastMine = messages.chunk.find((event) => event.type === 'm.room.message' && event.sender !== agent.userId && event.sender.includes('@'));
  if (lastMine) await asAgent('POST', `/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(lastMine.event_id)}`, {});
  await page.getByRole('log').getByRole('listitem').last().getByText('Lu', { exact: true }).waitFor({ timeout: 10_000 });
  expect(true, 'read receipt shown');
  await snap(page, 'assigned');

  await page.reload();
  await page.getByText('Quelqu’un me menace sur Insta').waitFor({ timeout: 20_000 });
  expect(await page.getByText('Tu parles avec Camille').isVisible(), 'reload resumes the same conversation');

  await context.setOffline(true);
  await page.evaluate(() => window.dispatchEvent(new Event('offline')));
  await page.getByLabel('Ton message').fill('Message écrit hors ligne');
  await page.keyboard.press('Enter');
  await page.getByLabel('Ton message').fill('Et un deuxième');
  await page.keyboard.press('Enter');
  await page.getByText('En attente de connexion').first().waitFor({ timeout: 10_000 });
  await snap(page, 'offline');
  await context.setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  let bodies: (string | undefined)[] = [];
  for (let attempt = 0; attempt < 40 && !bodies.includes('Et un deuxième'); attempt++) {
    await page.waitForTimeout(500);
    const after = (await asAgent('GET', `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`)) as { chunk: { type: string; content: { body?: string } }[] };
    bodies = after.chunk.filter((event) => event.type === 'm.room.message').map((event) => event.content.body).reverse();
  }
  await page.waitForTimeout(1000);
  const after = (await asAgent('GET', `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`)) as { chunk: { type: string; content: { body?: string } }[] };
  bodies = after.chunk.filter((event) => event.type === 'm.room.message').map((event) => event.content.body).reverse();
  await page.getByRole('log').getByRole('listitem').last().getByText(/^(Envoyé|Lu)$/).waitFor({ timeout: 10_000 });
  await snap(page, 'back-online');
  expect(bodies.filter((body) => body === 'Message écrit hors ligne').length === 1, 'offline message delivered exactly once');
  expect(bodies.filter((body) => body === 'Et un deuxième').length === 1, 'second offline message delivered exactly once');
  expect(bodies.indexOf('Message écrit hors ligne') < bodies.indexOf('Et un deuxième'), 'offline messages delivered in order');

  await page.getByRole('button', { name: 'Terminer la conversation' }).click();
  await snap(page, 'confirm-end');
  await page.getByRole('button', { name: 'Oui, terminer' }).click();
  await page.getByRole('heading', { name: 'La conversation est terminée' }).waitFor({ timeout: 10_000 });
  expect(await page.evaluate(() => sessionStorage.getItem('espace.chat') === null), 'ending clears the conversation from session storage');
  await snap(page, 'ended');

  // Quick exit from a live chat: start again, then press Escape.
  await page.getByRole('button', { name: 'Commencer une nouvelle conversation' }).click();
  await page.getByRole('button', { name: 'Commencer la conversation' }).click();
  await page.getByRole('button', { name: 'Sur les réseaux sociaux' }).waitFor({ timeout: 20_000 });
  expect(await page.evaluate(() => sessionStorage.getItem('espace.chat') !== null), 'a new conversation is stored for reloads');
  await page.keyboard.press('Escape');
  await page.waitForURL(`${botUrl}/neutre`);
  expect(true, 'Escape replaces the page with the neutral site');
  const storage = await page.evaluate(() => ({ local: localStorage.length, cookies: document.cookie }));
  await page.goBack();
  const backUrl = page.url();
  expect(!backUrl.endsWith('/chat'), `Back does not return to the chat (went to ${backUrl})`);
  // Same tab, same origin: session storage would still be there if the exit had not cleared it.
  await page.goto(`${site}/`);
  const left = await page.evaluate(() => ({ session: Object.keys(sessionStorage), local: localStorage.length }));
  expect(!left.session.includes('espace.chat') && left.local === 0, `no conversation stored after quick exit (session keys: ${left.session.join(', ') || 'none'})`);
  expect(storage.local === 0 && storage.cookies === '', 'nothing in local storage or cookies on the neutral page');
  const cookies = await context.cookies();
  expect(cookies.length === 0, 'no cookie set by any origin');
  expect(foreign.length === 0, `no request to a third party (${[...new Set(foreign)].join(', ')})`);
} catch (error) {
  await snap(page, 'failure');
  throw error;
} finally {
  await browser.close();
}
