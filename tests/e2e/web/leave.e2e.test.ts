import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, PHONE } from './support/browser.ts';
import { api, claimAndJoin, command, conversationEntry, enc, loginStaff, until, type Staff } from './support/matrix.ts';
import { answerPostalCode, answerTriageByClicks, statusBar, storedChat } from './support/young.ts';

/**
 * Issue 12, item 5: a young person who leaves (quick exit, « Terminer ») is gone for the agent at once, and the
 * conversation waits for the agent to close it with an outcome.
 */
const stack = inject('webStack');
let browser: Browser;
let agent: Staff;

beforeAll(async () => {
  browser = await launchChromium();
  agent = await loginStaff(stack, 'pn-agent-1');
  expect(await command(stack, agent, 'police', { action: 'duty', onDuty: true, capacity: 10 })).toMatchObject({
    ok: true,
  });
});

afterAll(async () => {
  await browser?.close();
});

/** Opens the chat, answers the triage and waits for the agent to have claimed and joined it. */
async function assignedConversation(page: Page): Promise<string> {
  await page.goto(`${stack.siteUrl}/chat?lieu=reseaux-sociaux`);
  await page.getByRole('button', { name: 'Commencer la conversation' }).click();
  await page.getByRole('button', { name: "Ça m'arrive à moi", exact: true }).waitFor({ timeout: 20_000 });
  await answerTriageByClicks(page);
  await answerPostalCode(page, '93200');
  await expect
    .poll(() => statusBar(page).textContent(), { timeout: 20_000 })
    .toMatch(/Tu es (la prochaine personne|\d+e dans la file)/);
  const roomId = (await storedChat(page))?.roomId;
  if (!roomId) throw new Error('the site kept no conversation');
  await claimAndJoin(stack, agent, roomId);
  return roomId;
}

async function queueNotices(): Promise<string[]> {
  const queue = stack.forces.police.queueRoomId;
  const page = await api<{ chunk: Array<{ type: string; content: { body?: string } }> }>(
    stack,
    agent.accessToken,
    'GET',
    `/_matrix/client/v3/rooms/${enc(queue)}/messages?dir=b&limit=100`,
  );
  return page.chunk.filter((event) => event.type === 'm.room.message').map((event) => event.content.body ?? '');
}

describe('the young person leaves', () => {
  it('by quick exit: the agent is told at once, the conversation stays open and the agent closes it with an outcome', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    const roomId = await assignedConversation(page);
    const ticket = (await conversationEntry(stack, 'police', roomId))!.ticket;
    await page.getByRole('link', { name: /Quitter vite/ }).click();
    await page.waitForURL(stack.neutralUrl);
    // The page is gone; its beacon reached the bot.
    const entry = await until('the leave on the agents’ side', async () => {
      const found = await conversationEntry(stack, 'police', roomId);
      return found?.guestLeftAt !== undefined ? found : undefined;
    });
    expect(entry.state).toBe('assigned');
    await until('the queue notice', async () =>
      (await queueNotices()).some((body) =>
        body.startsWith(`Conversation n°${ticket} : le jeune a quitté la conversation`),
      )
        ? true
        : undefined,
    );
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(
      await command(stack, agent, 'police', { action: 'close', conversation: roomId, outcome: '119' }),
    ).toMatchObject({ ok: true });
    expect(await conversationEntry(stack, 'police', roomId)).toMatchObject({ state: 'closed', outcome: '119' });
    await context.close();
  });

  it('by « Terminer »: the same, and the end screen shows as before', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    const roomId = await assignedConversation(page);
    await page.getByRole('button', { name: 'Terminer la conversation' }).click();
    await page.getByRole('button', { name: 'Oui, terminer' }).click();
    await page.getByRole('heading', { name: 'La conversation est terminée' }).waitFor({ timeout: 15_000 });
    const entry = await until('the leave on the agents’ side', async () => {
      const found = await conversationEntry(stack, 'police', roomId);
      return found?.guestLeftAt !== undefined ? found : undefined;
    });
    expect(entry.state).toBe('assigned');
    expect(
      await command(stack, agent, 'police', { action: 'close', conversation: roomId, outcome: 'school' }),
    ).toMatchObject({ ok: true });
    await context.close();
  });
});
