import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import type { ConversationEntry } from '@espace-mineurs/protocol';
import { api } from './support/api.ts';
import type { Guest } from './support/engine.ts';
import { guestSees as guestSeesAs, loginAs, notificationsOf, recordNotifications } from './support/browser.ts';
import { assertAccessible, shot } from './support/flows.ts';
import { demoAccount, startAgentClientStack, type AgentClientStack } from './support/stack.ts';

/**
 * Conversations passing between people: a supervisor joins and whispers, an agent transfers warm to a colleague
 * and cold to the other force, a gendarme on duty is alerted to an urgent one. Its own stack and conversations;
 * each test claims only what its file's beforeAll opened for it, or what it opens itself.
 */
let stack: AgentClientStack;
let urgent: { guest: Guest; entry: ConversationEntry };
let toTransfer: { guest: Guest; entry: ConversationEntry };

const login = (context: BrowserContext, localpart: string, width = 1280) => loginAs(stack, context, localpart, width);
const guestSees = (guest: Guest, roomId: string) => guestSeesAs(stack, guest, roomId);

beforeAll(async () => {
  stack = await startAgentClientStack();
  urgent = await stack.engine.openConversation({ force: 'police', what: 'sextorsion', urgent: true });
  toTransfer = await stack.engine.openConversation({ force: 'police', what: 'harcelement' });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

describe('agent client against a real Synapse: supervision, transfers, alerts', () => {
  it('gives the supervisor live figures and lets them join and whisper', async () => {
    // An active conversation to supervise: pn-agent-2 claims the urgent one through the engine (as Element would).
    const agent2 = demoAccount(stack, 'pn-agent-2');
    const login2 = await api<{ access_token: string }>(
      stack.homeserver.baseUrl,
      undefined,
      'POST',
      '/_matrix/client/v3/login',
      {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: demoAccount(stack, 'pn-agent-2').localpart },
        password: agent2.password,
      },
    );
    await api(
      stack.homeserver.baseUrl,
      login2.access_token,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(stack.boot.forces.police.queueRoomId)}/send/fr.espace-mineurs.command/t${Date.now()}`,
      {
        action: 'claim',
        requestId: 'e2e-claim',
        conversation: urgent.entry.roomId,
      },
    );

    const context = await stack.browser.newContext();
    const page = await login(context, 'pn-superviseur-1');
    await page.getByRole('heading', { name: /Supervision/ }).waitFor();
    await expect.poll(() => page.locator('.columns').textContent(), { timeout: 15_000 }).toContain('Sam');
    await expect.poll(() => page.locator('.figures').textContent()).toContain('Clôturées aujourd');
    await shot(page, '07-supervision');
    await assertAccessible(page, 'supervision');

    await page.getByRole('button', { name: 'Rejoindre' }).first().click();
    await page.getByRole('button', { name: 'Ouvrir' }).first().waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Ouvrir' }).first().click();
    await page.locator('#note-input').fill('Chuchotement : propose le 17 si la situation se dégrade');
    await page.locator('#note-input').press('Enter');
    await expect.poll(() => page.locator('.notes').textContent(), { timeout: 15_000 }).toContain('Chuchotement');
    expect(await guestSees(urgent.guest, urgent.entry.roomId)).not.toContain('Chuchotement');
    await shot(page, '08-supervisor-conversation');
    await assertAccessible(page, 'supervisor-conversation');
    await page.setViewportSize({ width: 390, height: 800 });
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('button', { name: 'Supervision' }).click();
    await page.waitForTimeout(400); // the drawer's closing transition
    await shot(page, '09-supervision-narrow');
    await context.close();
  });

  it('transfers warm to a colleague who accepts, then cold to the gendarmerie where a gendarme claims it', async () => {
    const ticket = `n° ${toTransfer.entry.ticket}`;
    const alex = await login(await stack.browser.newContext(), 'pn-agent-1');
    await alex.locator('li.row', { hasText: ticket }).getByRole('button', { name: 'Prendre' }).click();
    const mine = alex.locator('.mine button', { hasText: ticket });
    await expect
      .poll(
        async () => {
          await mine.click();
          return alex.locator('.timeline').count();
        },
        { timeout: 20_000 },
      )
      .toBe(1);
    await alex.getByRole('button', { name: 'Transférer' }).click();
    await alex.getByRole('dialog').locator('select').selectOption(demoAccount(stack, 'pn-agent-2').userId);
    await alex.getByLabel(/Accompagné/).check();
    await alex.getByRole('dialog').locator('textarea').fill('Harcèlement au collège, a besoin d’une voix féminine');
    await shot(alex, '11-transfer-dialog');
    await assertAccessible(alex, 'transfer-dialog');
    await alex.getByRole('dialog').getByRole('button', { name: 'Transférer' }).click();

    const sam = await login(await stack.browser.newContext(), 'pn-agent-2');
    const offer = sam.locator('.offer', { hasText: ticket });
    await offer.waitFor({ timeout: 20_000 });
    expect(await offer.textContent()).toContain('voix féminine');
    await shot(sam, '12-transfer-offer');
    await assertAccessible(sam, 'transfer-offer');
    await offer.getByRole('button', { name: 'Accepter' }).click();
    const samMine = sam.locator('.mine button', { hasText: ticket });
    await expect
      .poll(
        async () => {
          await samMine.click();
          return sam.locator('.timeline').count();
        },
        { timeout: 20_000 },
      )
      .toBe(1);
    // The previous agent loses it.
    await expect.poll(() => alex.locator('.mine button', { hasText: ticket }).count(), { timeout: 20_000 }).toBe(0);

    await sam.getByRole('button', { name: 'Transférer' }).click();
    await sam.getByRole('dialog').locator('select').selectOption('force');
    await sam.getByRole('dialog').getByRole('button', { name: 'Transférer' }).click();
    await expect.poll(() => sam.locator('.mine button', { hasText: ticket }).count(), { timeout: 20_000 }).toBe(0);

    const gendarme = await login(await stack.browser.newContext(), 'gn-agent-2');
    const row = gendarme.locator('li.row', { hasText: toTransfer.entry.triage?.text ?? '' });
    await row.waitFor({ timeout: 20_000 });
    await row.getByRole('button', { name: 'Prendre' }).click();
    const gMine = gendarme.locator('.mine button').first();
    await expect
      .poll(
        async () => {
          await gMine.click();
          return gendarme.locator('.timeline').count();
        },
        { timeout: 20_000 },
      )
      .toBe(1);
    await gendarme.locator('#composer-input').fill('Bonjour, ici Noa, de la gendarmerie.');
    await gendarme.locator('#composer-input').press('Enter');
    await expect
      .poll(async () => guestSees(toTransfer.guest, toTransfer.entry.roomId), { timeout: 15_000 })
      .toContain('ici Noa');
    for (const page of [alex, sam, gendarme]) await page.context().close();
    // Three agents' browsers and two transfers through the bot: the longest flow here, on a shared machine.
  }, 240_000);

  it('alerts a gendarme on duty to a new urgent conversation, which Alt+P claims', async () => {
    const context = await stack.browser.newContext();
    await recordNotifications(context);
    const page = await login(context, 'gn-agent-1');
    await page.getByRole('switch').click();
    await expect.poll(() => page.getByRole('switch').textContent(), { timeout: 15_000 }).toContain('En service');
    const fresh = await stack.engine.openConversation({
      force: 'gendarmerie',
      what: 'violences-physiques',
      urgent: true,
      firstWords: ['aidez moi'],
    });
    const notifications = () => notificationsOf(page);
    await expect
      .poll(notifications, { timeout: 20_000 })
      .toContain(`Conversation prioritaire | Ticket n° ${fresh.entry.ticket} — un jeune est peut-être en danger.`);
    // Nothing the young person said, nor the triage, reaches the lock screen.
    expect((await notifications()).join('\n')).not.toContain(fresh.entry.triage?.text ?? '§');
    expect(await page.title()).toContain('⚠ 1');
    await page.locator('li.row').first().waitFor();
    expect(await page.locator('li.row').first().textContent()).toContain(`n° ${fresh.entry.ticket}`);
    await page.keyboard.press('Alt+KeyP');
    await page.locator('.mine button', { hasText: `n° ${fresh.entry.ticket}` }).waitFor({ timeout: 20_000 });
    await context.close();
  });
});
