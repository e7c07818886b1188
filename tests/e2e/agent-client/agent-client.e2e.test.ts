import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { ConversationEntry } from '@espace-mineurs/protocol';
import { api, type Guest } from './support/fake-engine.ts';
import { demoAccount, startAgentClientStack, type AgentClientStack } from './support/stack.ts';

const SHOTS = process.env.ESPACE_SCREENSHOTS ?? join(tmpdir(), 'espace-agent-client-screens');
mkdirSync(SHOTS, { recursive: true });

const XSS = [
  '<img src=x onerror="window.__xss=1">',
  '<svg onload="window.__xss=2"></svg>',
  '[clique](javascript:window.__xss=3)',
  'photo\u202Egpj.exe',
];

let stack: AgentClientStack;
let young: { guest: Guest; entry: ConversationEntry };
let urgent: { guest: Guest; entry: ConversationEntry };
let gendarmerieOnly: { guest: Guest; entry: ConversationEntry };

async function login(context: BrowserContext, localpart: string, width = 1280): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize({ width, height: 800 });
  await page.goto(stack.clientUrl);
  await page.getByLabel('Identifiant').fill(localpart);
  await page.getByLabel('Mot de passe').fill(demoAccount(stack, localpart).password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.locator('.sidebar').waitFor({ timeout: 30_000 });
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** Everything the young person's own account can see, through their own sync. */
async function guestSees(guest: Guest): Promise<string> {
  return JSON.stringify(await api(stack.homeserver.baseUrl, guest.accessToken, 'GET', '/_matrix/client/v3/sync?timeout=0'));
}

beforeAll(async () => {
  stack = await startAgentClientStack();
  young = await stack.engine.openConversation({
    force: 'police',
    triageText: 'À la maison · victime · violences physiques · 13-15 ans',
    postalCode: '93200',
    firstWords: ['bonjour', ...XSS],
  });
  urgent = await stack.engine.openConversation({ force: 'police', triageText: 'Sur les réseaux sociaux · victime · sextorsion · 15-17 ans', postalCode: '75011', urgent: true });
  await stack.engine.openConversation({ force: 'police', triageText: 'Au collège · témoin · harcèlement · 11-13 ans', postalCode: '92100' });
  gendarmerieOnly = await stack.engine.openConversation({ force: 'gendarmerie', triageText: 'Gendarmerie seulement · addiction · 15-17 ans', postalCode: '24000' });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

describe('agent client against a real Synapse', () => {
  it('logs in, shows the force queue (urgent first), and keeps the session across a reload', async () => {
    const context = await stack.browser.newContext();
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(stack.clientUrl);
    await page.getByRole('button', { name: 'Se connecter' }).waitFor();
    await shot(page, '01-login');
    await page.getByLabel('Identifiant').fill('pn-agent-1');
    await page.getByLabel('Mot de passe').fill('wrong password');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Identifiant ou mot de passe incorrect');
    await page.getByLabel('Mot de passe').fill(demoAccount(stack, 'pn-agent-1').password);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { name: /File d'attente — Police nationale/ }).waitFor({ timeout: 30_000 });
    const rows = page.locator('li.row');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.first().textContent()).toContain(`n° ${urgent.entry.ticket}`);
    expect(await page.content()).not.toContain('Gendarmerie seulement');
    await shot(page, '02-queue');

    await page.reload();
    await page.getByRole('heading', { name: /File d'attente/ }).waitFor({ timeout: 30_000 });
    await context.close();
  });

  it('claims, talks both ways, keeps notes internal, renders hostile text inert, and closes', async () => {
    const context = await stack.browser.newContext();
    const page = await login(context, 'pn-agent-1');
    await page.getByRole('switch').click();
    await expect.poll(() => page.getByRole('switch').textContent(), { timeout: 15_000 }).toContain('En service');

    await page.locator('li.row', { hasText: `n° ${young.entry.ticket}` }).getByRole('button', { name: 'Prendre' }).click();
    const mine = page.locator('.mine button', { hasText: `n° ${young.entry.ticket}` });
    await mine.waitFor({ timeout: 20_000 });
    // The bot's invite is accepted by the client; the conversation opens once joined.
    await expect.poll(async () => {
      await mine.click();
      return page.locator('.timeline').count();
    }, { timeout: 20_000 }).toBe(1);

    const timeline = page.locator('.timeline');
    await expect.poll(() => timeline.textContent(), { timeout: 15_000 }).toContain('bonjour');
    for (const payload of XSS.slice(0, 3)) expect(await timeline.textContent()).toContain(payload);
    expect(await timeline.textContent()).toContain('photo⟨U+202E⟩gpj.exe');
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await timeline.locator('img, svg, a').count()).toBe(0);

    await page.locator('#composer-input').fill('Bonjour, je suis Alex. Je t’écoute.');
    await page.locator('#composer-input').press('Enter');
    await expect.poll(async () => guestSees(young.guest), { timeout: 15_000 }).toContain('Je t’écoute.');
    await stack.engine.guestSays(young.guest, young.entry.roomId, 'merci, j’ai peur de rentrer chez moi');
    await expect.poll(() => timeline.textContent(), { timeout: 15_000 }).toContain('j’ai peur de rentrer');

    await page.locator('#note-input').fill('NOTE-INTERNE : évoque un beau-père violent, vérifier la mise en sécurité');
    await page.locator('#note-input').press('Enter');
    await expect.poll(() => page.locator('.notes').textContent(), { timeout: 15_000 }).toContain('NOTE-INTERNE');
    expect(await guestSees(young.guest)).not.toContain('NOTE-INTERNE');
    await shot(page, '03-conversation');

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
    await expect.poll(() => page.locator('.conversation .tag').allTextContents(), { timeout: 15_000 }).toContain('Clôturée');
    expect(await page.locator('#composer-input').isDisabled()).toBe(true);
    await context.close();
  });

  it('gives the supervisor live figures and lets them join and whisper', async () => {
    // An active conversation to supervise: pn-agent-2 claims the urgent one through the engine (as Element would).
    const agent2 = demoAccount(stack, 'pn-agent-2');
    const login2 = await api<{ access_token: string }>(stack.homeserver.baseUrl, undefined, 'POST', '/_matrix/client/v3/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'pn-agent-2' },
      password: agent2.password,
    });
    await api(stack.homeserver.baseUrl, login2.access_token, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(stack.boot.forces.police.queueRoomId)}/send/fr.espace-mineurs.command/t${Date.now()}`, {
      action: 'claim',
      requestId: 'e2e-claim',
      conversation: urgent.entry.roomId,
    });

    const context = await stack.browser.newContext();
    const page = await login(context, 'pn-superviseur-1');
    await page.getByRole('heading', { name: /Supervision/ }).waitFor();
    await expect.poll(() => page.locator('.columns').textContent(), { timeout: 15_000 }).toContain('Sam');
    await expect.poll(() => page.locator('.figures').textContent()).toContain('Clôturées aujourd');
    await shot(page, '07-supervision');

    await page.getByRole('button', { name: 'Rejoindre' }).first().click();
    await page.getByRole('button', { name: 'Ouvrir' }).first().waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Ouvrir' }).first().click();
    await page.locator('#note-input').fill('Chuchotement : propose le 17 si la situation se dégrade');
    await page.locator('#note-input').press('Enter');
    await expect.poll(() => page.locator('.notes').textContent(), { timeout: 15_000 }).toContain('Chuchotement');
    expect(await guestSees(urgent.guest)).not.toContain('Chuchotement');
    await shot(page, '08-supervisor-conversation');
    await page.setViewportSize({ width: 390, height: 800 });
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('button', { name: 'Supervision' }).click();
    await shot(page, '09-supervision-narrow');
    await context.close();
  });

  it('never shows a gendarme the police conversations', async () => {
    const context = await stack.browser.newContext();
    const page = await login(context, 'gn-agent-1');
    await page.getByRole('heading', { name: /Gendarmerie nationale/ }).waitFor();
    await expect.poll(() => page.locator('li.row').count(), { timeout: 15_000 }).toBe(1);
    const html = await page.content();
    expect(html).toContain('Gendarmerie seulement');
    expect(html).not.toContain('beau-père');
    expect(html).not.toContain('sextorsion');
    expect(html).not.toContain(`${young.entry.roomId}`);
    await shot(page, '10-gendarmerie-queue');
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.getByRole('button', { name: 'Se connecter' }).waitFor();
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    void gendarmerieOnly;
    await context.close();
  });
});
