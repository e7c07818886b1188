import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, PHONE } from './support/browser.ts';
import { api, claimAndJoin, enc, loginStaff, releaseClaimed, until, type Staff } from './support/matrix.ts';
import { answerPostalCode, answerTriageByClicks, statusBar, storedChat } from './support/young.ts';

/**
 * What the young person sees of the conversation's past and of an agent's corrections: a reload shows the whole
 * conversation (the room keeps it all) with older messages loaded on scrolling up, and an agent's edit or
 * redaction, sent as any Matrix client sends it (raw HTTP here), changes the line on the young person's screen.
 */
const stack = inject('webStack');
let browser: Browser;
let agent: Staff;

beforeAll(async () => {
  browser = await launchChromium();
  agent = await loginStaff(stack, 'pn-agent-2');
});

afterAll(async () => {
  if (agent) await releaseClaimed(stack, agent);
  await browser?.close();
});

let txn = 0;
const nextTxn = () => `web-history-${Date.now().toString(36)}-${txn++}`;

async function agentSays(roomId: string, body: string): Promise<string> {
  const sent = await api<{ event_id: string }>(
    stack,
    agent.accessToken,
    'PUT',
    `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${nextTxn()}`,
    { msgtype: 'm.text', body },
  );
  return sent.event_id;
}

/** Straight to the chat, through triage and the queue, then claimed by the agent: a live conversation. */
async function claimedConversation(page: Page): Promise<string> {
  await page.goto(`${stack.siteUrl}/chat?lieu=reseaux-sociaux`);
  await page.getByRole('button', { name: 'Commencer la conversation' }).click();
  await answerTriageByClicks(page);
  await answerPostalCode(page, '93200');
  await expect
    .poll(() => statusBar(page).textContent(), { timeout: 20_000 })
    .toMatch(/Tu es (la prochaine personne|\d+e dans la file)/);
  const stored = await storedChat(page);
  if (!stored?.roomId) throw new Error('the site kept no conversation');
  await claimAndJoin(stack, agent, stored.roomId);
  await expect
    .poll(() => statusBar(page).textContent(), { timeout: 20_000 })
    .toContain(`Tu parles avec ${agent.pseudonym}`);
  return stored.roomId;
}

function log(page: Page) {
  return page.getByRole('log');
}

/** The bodies of the numbered test messages on screen, in screen order. */
async function numberedOnScreen(page: Page): Promise<string[]> {
  const bodies = await log(page).locator('li .body').allTextContents();
  return bodies.filter((body) => /^Message n° \d{3}$/.test(body));
}

describe('the conversation’s past on the young person’s screen', () => {
  it('a reload in a conversation of 200 messages shows all of them at once, the latest on screen', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    const roomId = await claimedConversation(page);

    const expected = Array.from({ length: 200 }, (_, index) => `Message n° ${String(index + 1).padStart(3, '0')}`);
    for (const body of expected) await agentSays(roomId, body);
    await log(page).getByText('Message n° 200', { exact: true }).waitFor({ timeout: 30_000 });

    await page.reload();
    await log(page).getByText('Message n° 200', { exact: true }).waitFor({ timeout: 20_000 });
    // All of them come without scrolling (the first sync brings 100 lines, the rest follows at once), and the
    // latest stays on screen meanwhile.
    await expect.poll(() => numberedOnScreen(page), { timeout: 20_000 }).toEqual(expected);
    expect(
      await log(page)
        .getByText('Message n° 200', { exact: true })
        .evaluate((element) => {
          const box = element.getBoundingClientRect();
          return box.bottom > 0 && box.top < window.innerHeight;
        }),
    ).toBe(true);
    // Scrolling up, as a thumb would, until the first message of the conversation is there.
    await until(
      'the first message after scrolling up',
      async () => {
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.mouse.wheel(0, -2000);
        return (await log(page).getByText('Message n° 001', { exact: true }).count()) > 0 ? true : undefined;
      },
      40_000,
    );
    // The start of the conversation too: the triage questions and the young person's own answers.
    await log(page).getByText('93200', { exact: true }).waitFor({ timeout: 10_000 });
    expect(await numberedOnScreen(page)).toEqual(expected);
    await context.close();
  }, 240_000);

  it('an agent’s edit and redaction, sent by a plain Matrix client, show live and after a reload', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    const roomId = await claimedConversation(page);

    const edited = await agentSays(roomId, 'Rendez-vous au commissariat mardi');
    const redacted = await agentSays(roomId, 'Un message envoyé par erreur');
    await log(page).getByText('Un message envoyé par erreur', { exact: true }).waitFor({ timeout: 15_000 });

    // An edit as Element sends it: a fallback body with « * » and the new content under m.new_content.
    await api(
      stack,
      agent.accessToken,
      'PUT',
      `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${nextTxn()}`,
      {
        msgtype: 'm.text',
        body: '* Rendez-vous au commissariat mercredi',
        'm.new_content': { msgtype: 'm.text', body: 'Rendez-vous au commissariat mercredi' },
        'm.relates_to': { rel_type: 'm.replace', event_id: edited },
      },
    );
    await api(
      stack,
      agent.accessToken,
      'PUT',
      `/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(redacted)}/${nextTxn()}`,
      {},
    );

    const expectCorrected = async () => {
      await log(page).getByText('Rendez-vous au commissariat mercredi', { exact: true }).waitFor({ timeout: 15_000 });
      await log(page).getByText('Message supprimé', { exact: true }).waitFor({ timeout: 15_000 });
      const bodies = await log(page).locator('li .body').allTextContents();
      expect(bodies).not.toContain('Rendez-vous au commissariat mardi');
      expect(bodies).not.toContain('Un message envoyé par erreur');
      expect(bodies.filter((body) => body.startsWith('*'))).toEqual([]);
      expect(bodies.filter((body) => body.includes('commissariat'))).toEqual(['Rendez-vous au commissariat mercredi']);
    };
    await expectCorrected();
    await page.reload();
    await log(page).getByText('Rendez-vous au commissariat mercredi', { exact: true }).waitFor({ timeout: 20_000 });
    await expectCorrected();
    await context.close();
  });
});
