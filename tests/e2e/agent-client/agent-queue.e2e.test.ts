import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import type { ConversationEntry } from '@espace-mineurs/protocol';
import { api } from './support/api.ts';
import type { Guest } from './support/engine.ts';
import { guestSees as guestSeesAs, loginAs } from './support/browser.ts';
import { assertAccessible, claimAndOpen, shot } from './support/flows.ts';
import { demoAccount, startAgentClientStack, type AgentClientStack } from './support/stack.ts';

/**
 * The agent client against a real Synapse: the login and the force's queue, one conversation both ways with its
 * internal notes, and a gendarme's view kept free of the police's. Its own stack and conversations; each test
 * leaves the queue as it found it (a conversation it claims, it opens itself and closes).
 */
const XSS = [
  '<img src=x onerror="window.__xss=1">',
  '<svg onload="window.__xss=2"></svg>',
  '[clique](javascript:window.__xss=3)',
  'photo\u202Egpj.exe',
];

let stack: AgentClientStack;
let waiting: { guest: Guest; entry: ConversationEntry };
let urgent: { guest: Guest; entry: ConversationEntry };
let gendarmerieOnly: { guest: Guest; entry: ConversationEntry };

const login = (context: BrowserContext, localpart: string, width = 1280) => loginAs(stack, context, localpart, width);
const guestSees = (guest: Guest, roomId: string) => guestSeesAs(stack, guest, roomId);

beforeAll(async () => {
  stack = await startAgentClientStack();
  // Three police conversations waiting (one urgent), one of the gendarmerie.
  waiting = await stack.engine.openConversation({ force: 'police', what: 'violences-physiques' });
  urgent = await stack.engine.openConversation({ force: 'police', what: 'sextorsion', urgent: true });
  await stack.engine.openConversation({ force: 'police', what: 'harcelement' });
  gendarmerieOnly = await stack.engine.openConversation({ force: 'gendarmerie', what: 'addiction' });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

describe('agent client against a real Synapse: queue, conversation, forces apart', () => {
  it('logs in after a wrong password, by full user ID, and shows the force queue, urgent first', async () => {
    const context = await stack.browser.newContext();
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(stack.clientUrl);
    await page.getByRole('button', { name: 'Se connecter' }).waitFor();
    await shot(page, '01-login');
    await page.getByLabel('Identifiant').fill(demoAccount(stack, 'pn-agent-1').localpart);
    await page.getByLabel('Mot de passe').fill('wrong password');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent(), { timeout: 15_000 })
      .toContain('Identifiant ou mot de passe incorrect');
    await assertAccessible(page, 'login-error');
    // The full user ID works as well as the localpart (an agent may copy it from Element).
    await page.getByLabel('Identifiant').fill(` ${demoAccount(stack, 'pn-agent-1').userId} `);
    await page.getByLabel('Mot de passe').fill(demoAccount(stack, 'pn-agent-1').password);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { name: /File d'attente — Police nationale/ }).waitFor({ timeout: 30_000 });
    const rows = page.locator('li.row');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.first().textContent()).toContain(`n° ${urgent.entry.ticket}`);
    expect(await page.content()).not.toContain(gendarmerieOnly.entry.triage?.text);
    await shot(page, '02-queue');
    await assertAccessible(page, 'queue');
    await page.setViewportSize({ width: 390, height: 800 });
    await shot(page, '02b-queue-narrow');
    await page.getByRole('button', { name: 'Menu' }).click();
    await shot(page, '02c-menu-narrow');
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.setViewportSize({ width: 1280, height: 800 });
    await context.close();
  });

  it('keeps the session across a reload, and returns to the login once it is ended elsewhere', async () => {
    const context = await stack.browser.newContext();
    const page = await login(context, 'pn-agent-1');
    await page.reload();
    await page.getByRole('heading', { name: /File d'attente/ }).waitFor({ timeout: 30_000 });

    // The account's sessions are ended elsewhere (e.g. by an administrator): the client returns to the login.
    const other = await api<{ access_token: string }>(
      stack.homeserver.baseUrl,
      undefined,
      'POST',
      '/_matrix/client/v3/login',
      {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: demoAccount(stack, 'pn-agent-1').localpart },
        password: demoAccount(stack, 'pn-agent-1').password,
      },
    );
    await api(stack.homeserver.baseUrl, other.access_token, 'POST', '/_matrix/client/v3/logout/all', {});
    await page.getByText('Votre session a expiré').waitFor({ timeout: 45_000 });
    expect(await page.evaluate(() => localStorage.getItem('espace-mineurs.agent-session'))).toBeNull();
    await context.close();
  });

  it('claims, talks both ways, keeps notes internal, renders hostile text inert, and closes', async () => {
    // Its own conversation, closed at the end: the queue the other tests see is left as it was.
    const young = await stack.engine.openConversation({
      force: 'police',
      what: 'violences-physiques',
      firstWords: ['bonjour', ...XSS],
    });
    const context = await stack.browser.newContext();
    const page = await login(context, 'pn-agent-1');
    await page.getByRole('switch').click();
    await expect.poll(() => page.getByRole('switch').textContent(), { timeout: 15_000 }).toContain('En service');
    // The bot's invite is accepted by the client; the conversation opens once joined.
    await claimAndOpen(page, young.entry.ticket);

    const timeline = page.locator('.timeline');
    await expect.poll(() => timeline.textContent(), { timeout: 15_000 }).toContain('bonjour');
    for (const payload of XSS.slice(0, 3)) expect(await timeline.textContent()).toContain(payload);
    expect(await timeline.textContent()).toContain('photo⟨U+202E⟩gpj.exe');
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await timeline.locator('img, svg, a').count()).toBe(0);

    await page.locator('#composer-input').fill('Bonjour, je suis Alex. Je t’écoute.');
    await page.locator('#composer-input').press('Enter');
    await expect.poll(() => timeline.textContent(), { timeout: 15_000 }).toContain('Je t’écoute.');
    await expect
      .poll(async () => guestSees(young.guest, young.entry.roomId), { timeout: 15_000 })
      .toContain('Je t’écoute.');
    await stack.engine.guestSays(young.guest, young.entry.roomId, 'merci, j’ai peur de rentrer chez moi');
    await expect.poll(() => timeline.textContent(), { timeout: 15_000 }).toContain('j’ai peur de rentrer');

    await page.locator('#note-input').fill('NOTE-INTERNE : évoque un beau-père violent, vérifier la mise en sécurité');
    await page.locator('#note-input').press('Enter');
    await expect.poll(() => page.locator('.notes').textContent(), { timeout: 15_000 }).toContain('NOTE-INTERNE');
    expect(await guestSees(young.guest, young.entry.roomId)).not.toContain('NOTE-INTERNE');
    // Nor does a gendarme see it, nor the conversation, while the note exists.
    const gendarme = await login(await stack.browser.newContext(), 'gn-agent-1');
    await gendarme.getByRole('heading', { name: /Gendarmerie nationale/ }).waitFor();
    await gendarme.locator('li.row', { hasText: gendarmerieOnly.entry.triage?.text ?? '' }).waitFor();
    const gendarmeSees = await gendarme.content();
    expect(gendarmeSees).not.toContain('NOTE-INTERNE');
    expect(gendarmeSees).not.toContain(young.entry.roomId);
    await gendarme.context().close();
    await shot(page, '03-conversation');
    await assertAccessible(page, 'conversation-notes');

    await page.keyboard.press('Alt+KeyR');
    await page.getByRole('dialog', { name: 'Réponses types' }).waitFor();
    await shot(page, '04-canned');
    await page.keyboard.press('Enter');
    expect(await page.locator('#composer-input').inputValue()).toContain('Alex');
    await page.locator('#composer-input').fill('');

    await page.setViewportSize({ width: 390, height: 800 });
    await shot(page, '05-conversation-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByRole('button', { name: 'Clôturer' }).click();
    await page.getByRole('dialog', { name: /Clôturer la conversation/ }).waitFor();
    await page.getByLabel(/3018/).check();
    await shot(page, '06-close-dialog');
    await page.getByRole('dialog').getByRole('button', { name: 'Clôturer' }).click();
    // What happened, and where to go next; the composer is gone with the conversation.
    await page
      .getByRole('heading', { name: `Conversation n° ${young.entry.ticket} clôturée` })
      .waitFor({ timeout: 20_000 });
    expect(await page.locator('#composer-input').count()).toBe(0);
    await shot(page, '06b-closed');
    await context.close();
  });

  it('never shows a gendarme the police conversations', async () => {
    const context = await stack.browser.newContext();
    const page = await login(context, 'gn-agent-1');
    await page.getByRole('heading', { name: /Gendarmerie nationale/ }).waitFor();
    await expect.poll(() => page.locator('li.row').count(), { timeout: 15_000 }).toBe(1);
    const html = await page.content();
    expect(html).toContain(gendarmerieOnly.entry.triage?.text);
    for (const police of [waiting, urgent]) {
      expect(html).not.toContain(police.entry.triage?.text);
      expect(html).not.toContain(police.entry.roomId);
    }
    expect(html).not.toContain('NOTE-INTERNE');
    await shot(page, '10-gendarmerie-queue');
    await assertAccessible(page, 'gendarmerie-queue');
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.getByRole('button', { name: 'Se connecter' }).waitFor();
    // Nothing of the session (token, user ID) is left on the workstation.
    const left = await page.evaluate(() =>
      Object.keys(localStorage)
        .map((key) => `${key}=${localStorage.getItem(key)}`)
        .join('\n'),
    );
    expect(left).not.toContain('gn-agent-1');
    expect(left).not.toContain('agent-session');
    await context.close();
  });
});
