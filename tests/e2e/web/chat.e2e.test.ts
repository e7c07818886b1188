import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { axeSerious, launchChromium, PHONE, screens, watchOrigins } from './support/browser.ts';
import {
  api,
  claimAndJoin,
  conversationEntry,
  enc,
  loginStaff,
  messageBodies,
  releaseClaimed,
  until,
  type Staff,
} from './support/matrix.ts';
import {
  answerPostalCode,
  answerTriageByClicks,
  say,
  statusBar,
  storedChat,
  tapFromHomeToChat,
  type StoredChat,
} from './support/young.ts';

const stack = inject('webStack');
let browser: Browser;
let agent: Staff;
/** axe-core findings on each state of the chat, gathered by the flow and asserted in a test of their own. */
const chatStateProblems: string[] = [];
let chatStatesAudited = false;

beforeAll(async () => {
  browser = await launchChromium();
  // The agent answers through the Matrix API, as Element on a phone would (the agent client is tested in full/).
  agent = await loginStaff(stack, 'pn-agent-2');
});

afterAll(async () => {
  if (agent) await releaseClaimed(stack, agent);
  await browser?.close();
});

function lastLine(page: Page) {
  return page.getByRole('log').getByRole('listitem').last();
}

/** Home → an entry point → its « Parler à un policier ou un gendarme » → the chat's intro, all by clicks. */
async function fromHomeToChat(page: Page): Promise<void> {
  await page.goto(`${stack.siteUrl}/`);
  await tapFromHomeToChat(page);
  await page.getByRole('heading', { name: 'Avant de commencer' }).waitFor();
}

async function startAndQueue(page: Page, problems: string[], shots: boolean): Promise<StoredChat & { roomId: string }> {
  await page.getByRole('button', { name: 'Commencer la conversation' }).click();
  await page.getByRole('button', { name: "Ça m'arrive à moi", exact: true }).waitFor({ timeout: 20_000 });
  if (shots) {
    problems.push(...(await axeSerious(page)));
    await screens(page, 'chat-triage', { focus: lastLine(page) });
  }
  await answerTriageByClicks(page);
  await answerPostalCode(page, '93200');
  // Queued: the position (1re or Ne, other files may have left conversations waiting) and the estimated wait.
  await expect
    .poll(() => statusBar(page).textContent(), { timeout: 20_000 })
    .toMatch(/Tu es (la prochaine personne|\d+e dans la file)/);
  expect(await statusBar(page).textContent()).toContain('Temps d’attente estimé');
  expect(await statusBar(page).textContent()).toContain('Police nationale');
  await page.getByRole('heading', { name: 'En attendant' }).waitFor();
  const stored = await storedChat(page);
  if (!stored?.roomId) throw new Error('the site kept no conversation for the reload case');
  return { ...stored, roomId: stored.roomId };
}

let agentTxn = 0;
async function agentSays(roomId: string, body: string): Promise<void> {
  await api(
    stack,
    agent.accessToken,
    'PUT',
    `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/web-e2e-${Date.now()}-${agentTxn++}`,
    { msgtype: 'm.text', body },
  );
}

/** What the young person's browser left on the site's origin, read from a page of that origin in the same tab. */
async function leftOnSite(
  page: Page,
): Promise<{ session: Record<string, string>; local: number; databases: string[]; caches: string[]; cookie: string }> {
  return page.evaluate(async () => ({
    session: Object.fromEntries(Object.keys(sessionStorage).map((key) => [key, sessionStorage.getItem(key) ?? ''])),
    local: localStorage.length,
    databases: (await indexedDB.databases()).map((database) => database.name ?? '?'),
    caches: await caches.keys(),
    cookie: document.cookie,
  }));
}

async function expectNoTrace(context: BrowserContext, page: Page, conversation: StoredChat): Promise<void> {
  await page.waitForURL(stack.neutralUrl);
  expect(await page.title()).toBe('Météo');
  await page.goBack();
  // The whole visit was one history entry, which the neutral page replaced: Back leaves every page of the site
  // behind (young-ux.e2e.test.ts checks it after several pages).
  expect(new URL(page.url()).origin).not.toBe(new URL(stack.siteUrl).origin);
  // What the browser left on the site's origin, read from the chat opened again in the same tab (session storage
  // is per tab): it must not resume anything.
  await page.goto(`${stack.siteUrl}/chat`);
  await page.getByRole('heading', { name: 'Avant de commencer' }).waitFor();
  expect(await page.getByRole('log').count()).toBe(0);
  const { session, ...rest } = await leftOnSite(page);
  expect(rest).toEqual({ local: 0, databases: [], caches: [], cookie: '' });
  // SvelteKit keeps its own navigation bookkeeping there (sveltekit:*), rewritten by the page just opened;
  // nothing of the conversation may be among it.
  expect(Object.keys(session).filter((key) => !key.startsWith('sveltekit:'))).toEqual([]);
  const stored = JSON.stringify(session);
  for (const secret of [conversation.accessToken, conversation.userId, conversation.roomId ?? '§', 'espace.chat'])
    expect(stored).not.toContain(secret);
  expect(await context.cookies()).toEqual([]);
  const html = await page.content();
  expect(html).not.toContain(conversation.roomId ?? '§');
  expect(html).not.toContain(conversation.accessToken);
}

describe('the young person’s chat against the real bot', () => {
  it('goes from home to an agent’s answer, resumes after a reload, survives going offline, and ends', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const origins = watchOrigins(context, stack);
    const page = await context.newPage();
    const problems = chatStateProblems;

    await fromHomeToChat(page);
    const chat = await startAndQueue(page, problems, true);
    problems.push(...(await axeSerious(page)));
    await screens(page, 'chat-queued', { focus: lastLine(page) });

    // An agent claims it through the real bot and answers: the young person sees the pseudonym, typing, the words.
    await claimAndJoin(stack, agent, chat.roomId);
    await expect
      .poll(() => statusBar(page).textContent(), { timeout: 20_000 })
      .toContain(`Tu parles avec ${agent.pseudonym}`);
    await api(
      stack,
      agent.accessToken,
      'PUT',
      `/_matrix/client/v3/rooms/${enc(chat.roomId)}/typing/${enc(agent.userId)}`,
      { typing: true, timeout: 10_000 },
    );
    await page.getByText(`${agent.pseudonym} est en train d’écrire…`).waitFor({ timeout: 10_000 });
    await agentSays(chat.roomId, 'Bonjour, je suis là. <b>Je t’écoute.</b>');
    await page
      .getByRole('log')
      .getByText('Bonjour, je suis là. <b>Je t’écoute.</b>', { exact: true })
      .waitFor({ timeout: 15_000 });

    await say(page, 'Quelqu’un me menace sur Insta');
    const mine = page.getByRole('log').getByRole('listitem').filter({ hasText: 'Quelqu’un me menace sur Insta' });
    await mine.getByText('Envoyé', { exact: true }).waitFor({ timeout: 15_000 });
    const sent = await until('the young person’s message on the agent’s side', async () => {
      const page = await api<{ chunk: Array<{ event_id: string; sender: string; content: { body?: string } }> }>(
        stack,
        agent.accessToken,
        'GET',
        `/_matrix/client/v3/rooms/${enc(chat.roomId)}/messages?dir=b&limit=20`,
      );
      return page.chunk.find(
        (event) => event.sender === chat.userId && event.content.body === 'Quelqu’un me menace sur Insta',
      );
    });
    await api(
      stack,
      agent.accessToken,
      'POST',
      `/_matrix/client/v3/rooms/${enc(chat.roomId)}/receipt/m.read/${enc(sent.event_id)}`,
      {},
    );
    await mine.getByText('Lu', { exact: true }).waitFor({ timeout: 15_000 });
    problems.push(...(await axeSerious(page)));
    await screens(page, 'chat-assigned', { focus: lastLine(page) });

    // An accidental reload resumes the same conversation, with its history.
    await page.reload();
    await page
      .getByRole('log')
      .getByText('Quelqu’un me menace sur Insta', { exact: true })
      .waitFor({ timeout: 20_000 });
    expect(await statusBar(page).textContent()).toContain(`Tu parles avec ${agent.pseudonym}`);
    expect((await storedChat(page))?.roomId).toBe(chat.roomId);

    // Offline: two messages wait, in order; back online, each is delivered exactly once, in order.
    await context.setOffline(true);
    await page.getByRole('alert').filter({ hasText: 'Pas de connexion pour le moment' }).waitFor({ timeout: 15_000 });
    await say(page, 'Message écrit hors ligne');
    await say(page, 'Et un deuxième');
    await expect
      .poll(() => page.getByText('En attente de connexion', { exact: true }).count(), { timeout: 15_000 })
      .toBe(2);
    problems.push(...(await axeSerious(page)));
    await screens(page, 'chat-offline', { focus: lastLine(page) });
    expect((await messageBodies(stack, agent.accessToken, chat.roomId)).map((message) => message.body)).not.toContain(
      'Message écrit hors ligne',
    );
    await context.setOffline(false);
    const offline = ['Message écrit hors ligne', 'Et un deuxième'];
    await until(
      'both offline messages on the agent’s side',
      async () => {
        const bodies = (await messageBodies(stack, agent.accessToken, chat.roomId)).map((message) => message.body);
        return offline.every((body) => bodies.includes(body)) ? true : undefined;
      },
      40_000,
    );
    // Give a duplicate the time to show up before counting.
    await page
      .getByRole('log')
      .getByRole('listitem')
      .last()
      .getByText(/^(Envoyé|Lu)$/)
      .waitFor({ timeout: 15_000 });
    await page.waitForTimeout(1500);
    const fromYoung = (await messageBodies(stack, agent.accessToken, chat.roomId))
      .filter((message) => message.sender === chat.userId)
      .map((message) => message.body);
    expect(fromYoung.filter((body) => offline.includes(body))).toEqual(offline);
    expect(await page.getByRole('log').getByText('Message écrit hors ligne', { exact: true }).count()).toBe(1);

    // « Terminer la conversation », confirmed: the end screen with resources; the agent is told; nothing kept.
    await page.getByRole('button', { name: 'Terminer la conversation' }).click();
    await page.getByRole('button', { name: 'Oui, terminer' }).waitFor();
    problems.push(...(await axeSerious(page)));
    await screens(page, 'chat-confirm-end', { focus: page.getByRole('button', { name: 'Oui, terminer' }) });
    await page.getByRole('button', { name: 'Oui, terminer' }).click();
    await page.getByRole('heading', { name: 'La conversation est terminée' }).waitFor({ timeout: 15_000 });
    await page.getByRole('heading', { name: 'Si tu as besoin d’aide plus tard' }).waitFor();
    for (const number of ['17', '112', '114', '119', '3018']) {
      expect(
        await page.locator('main').getByText(number, { exact: true }).count(),
        `resource ${number}`,
      ).toBeGreaterThan(0);
    }
    await page.getByRole('heading', { name: 'À lire quand tu veux' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('espace.chat'))).toBeNull();
    // The agent closes it with an outcome (leave.e2e.test.ts): until then it shows that the young person left.
    await until('the leave on the agents’ side', async () =>
      (await conversationEntry(stack, 'police', chat.roomId))?.guestLeftAt !== undefined ? true : undefined,
    );
    problems.push(...(await axeSerious(page)));
    await screens(page, 'chat-ended', { fullPage: false });
    chatStatesAudited = true;

    expect(origins.foreign).toEqual([]);
    await context.close();
  });

  it('passes axe-core with no serious or critical violation in every state of the chat', () => {
    // Triage, queued, assigned, offline, confirming the end, ended: audited by the test above as it went.
    expect(chatStatesAudited).toBe(true);
    expect(chatStateProblems).toEqual([]);
  });

  it('quick exit by the button leaves no trace and Back does not show the chat', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const origins = watchOrigins(context, stack);
    const page = await context.newPage();
    await fromHomeToChat(page);
    await page.getByRole('button', { name: 'Commencer la conversation' }).click();
    await page.getByRole('button', { name: "Ça m'arrive à moi", exact: true }).waitFor({ timeout: 20_000 });
    const conversation = await storedChat(page);
    expect(conversation?.roomId).toBeDefined();
    await page.getByRole('link', { name: /Quitter vite/ }).click();
    await expectNoTrace(context, page, conversation!);
    expect(origins.foreign).toEqual([]);
    await context.close();
  });

  it('quick exit by Escape while typing in the queue leaves no trace and Back does not show the chat', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const origins = watchOrigins(context, stack);
    const page = await context.newPage();
    await fromHomeToChat(page);
    const conversation = await startAndQueue(page, [], false);
    await page.getByLabel('Ton message').fill('je ne veux pas que mes parents vo');
    await page.getByLabel('Ton message').press('Escape');
    await expectNoTrace(context, page, conversation);
    expect(origins.foreign).toEqual([]);
    await context.close();
  });
});
