import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DESKTOP, launchChromium, PHONE, screens, watchOrigins } from '../web/support/browser.ts';
import {
  command,
  conversationEntry,
  demoAccountOf,
  demoPassword,
  enc,
  loginStaff,
  matrix,
  until,
} from '../web/support/matrix.ts';
import {
  answerPostalCode,
  answerTriageByClicks,
  say,
  statusBar,
  storedChat,
  type StoredChat,
} from '../web/support/young.ts';

/**
 * A young person in the site and agents in the agent client, each in their own browser context, against the real
 * bot: claim, messages both ways, an internal note, hostile text, the other force kept out, a transfer to the
 * gendarmerie, closing with an outcome.
 */
const stack = inject('webStack');

const XSS = [
  '<img src=x onerror="window.__xss=1">',
  '<svg onload="window.__xss=2"></svg>',
  '[clique ici](javascript:window.__xss=3) ou <a href="javascript:window.__xss=4">là</a>',
  'photo\u202Egpj.exe',
];
const NOTE = 'NOTE-INTERNE : évoque un beau-père violent, vérifier la mise en sécurité';

let browser: Browser;
let youngContext: BrowserContext;
let young: Page;
let youngOrigins: { foreign: string[] };
let chat: StoredChat & { roomId: string };
let ticket: string;
let police: Page;
let gendarme: Page;

async function agentLogin(localpart: string): Promise<Page> {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  await page.goto(stack.agentClientUrl);
  await page.getByLabel('Identifiant').fill(demoAccountOf(stack, localpart).localpart);
  await page.getByLabel('Mot de passe').fill(demoPassword(stack, localpart));
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.locator('.sidebar').waitFor({ timeout: 30_000 });
  return page;
}

/** Opens the agent's own conversation with this ticket (the client joins the bot's invite first). */
async function openMine(page: Page): Promise<void> {
  const mine = page.locator('.mine button', { hasText: ticket });
  await mine.waitFor({ timeout: 20_000 });
  await expect
    .poll(
      async () => {
        await mine.click();
        return page.locator('.timeline').count();
      },
      { timeout: 20_000 },
    )
    .toBe(1);
}

/** Everything the young person's own guest account can read: their sync and their room's whole history. */
async function guestSees(): Promise<string> {
  const sync = await matrix(stack, chat.accessToken, 'GET', '/_matrix/client/v3/sync?timeout=0');
  const history = await matrix(
    stack,
    chat.accessToken,
    'GET',
    `/_matrix/client/v3/rooms/${enc(chat.roomId)}/messages?dir=b&limit=200`,
  );
  expect([sync.status, history.status]).toEqual([200, 200]);
  return JSON.stringify([sync.body, history.body]);
}

beforeAll(async () => {
  browser = await launchChromium();
  youngContext = await browser.newContext({ viewport: PHONE });
  youngOrigins = watchOrigins(youngContext, stack);
  young = await youngContext.newPage();
});

afterAll(async () => {
  await browser?.close();
});

describe('a young person in the site and agents in the agent client', () => {
  it('the young person reaches the police queue and writes, hostile text included', async () => {
    await young.goto(`${stack.siteUrl}/chat?lieu=maison-rue-sport`);
    await young.getByRole('button', { name: 'Commencer la conversation' }).click();
    await answerTriageByClicks(young);
    await answerPostalCode(young, '75011');
    await expect.poll(() => statusBar(young).textContent(), { timeout: 20_000 }).toContain('Police nationale');
    for (const payload of ['bonjour', ...XSS]) await say(young, payload);
    await expect
      .poll(() => young.getByRole('log').getByText('Envoyé', { exact: true }).count(), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(XSS.length + 6);
    // The site shows them as typed, as text, with the direction control made visible instead of obeyed.
    for (const payload of XSS)
      await young.getByRole('log').getByText(payload.replace('\u202E', '⟨U+202E⟩'), { exact: true }).waitFor();
    expect(await young.getByRole('log').locator('img, svg, a').count()).toBe(0);
    expect(await young.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    const stored = await storedChat(young);
    if (!stored?.roomId) throw new Error('the site kept no conversation');
    chat = { ...stored, roomId: stored.roomId };
    const entry = await until('the conversation in the police queue', async () => {
      const found = await conversationEntry(stack, 'police', chat.roomId);
      return found?.state === 'queued' ? found : undefined;
    });
    ticket = `n° ${entry.ticket}`;
  });

  it('a police agent claims it in the agent client, where the hostile text is inert; they talk both ways', async () => {
    police = await agentLogin('pn-agent-1');
    await police.locator('li.row', { hasText: ticket }).getByRole('button', { name: 'Prendre' }).click();
    await openMine(police);
    const timeline = police.locator('.timeline');
    await expect.poll(() => timeline.textContent(), { timeout: 15_000 }).toContain('bonjour');
    for (const payload of XSS.slice(0, 3)) expect(await timeline.textContent()).toContain(payload);
    // The right-to-left override is shown, not obeyed: the file name cannot pose as a picture.
    expect(await timeline.textContent()).toContain('photo⟨U+202E⟩gpj.exe');
    expect(await timeline.locator('img, svg, a').count()).toBe(0);
    expect(await police.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();

    await expect
      .poll(() => statusBar(young).textContent(), { timeout: 20_000 })
      .toMatch(/Tu parles avec|Quelqu’un arrive/);
    await police.locator('#composer-input').fill('Bonjour, je suis Alex. Je t’écoute.');
    await police.locator('#composer-input').press('Enter');
    await young
      .getByRole('log')
      .getByText('Bonjour, je suis Alex. Je t’écoute.', { exact: true })
      .waitFor({ timeout: 15_000 });
    await say(young, 'merci, j’ai peur de rentrer chez moi');
    await expect.poll(() => timeline.textContent(), { timeout: 15_000 }).toContain('j’ai peur de rentrer chez moi');
    await police.locator('#composer-input').fill('Tu as bien fait d’écrire. Où es-tu en ce moment ?');
    await police.locator('#composer-input').press('Enter');
    await young.getByRole('log').getByText('Où es-tu en ce moment ?', { exact: false }).waitFor({ timeout: 15_000 });
    await say(young, 'dans ma chambre');
    await expect.poll(() => timeline.textContent(), { timeout: 15_000 }).toContain('dans ma chambre');
    await screens(police, 'full-agent-conversation', { fullPage: false });
    await screens(young, 'full-young-with-police', { focus: young.getByRole('log').getByRole('listitem').last() });
  });

  it('keeps an internal note out of everything the young person’s own account can read', async () => {
    await police.locator('#note-input').fill(NOTE);
    await police.locator('#note-input').press('Enter');
    await expect.poll(() => police.locator('.notes').textContent(), { timeout: 15_000 }).toContain('NOTE-INTERNE');
    // The guest token is the one the site itself keeps for the reload case.
    const seen = await guestSees();
    // Booleans, so that a failure names the leak instead of printing the young person's whole sync.
    expect(seen.includes('dans ma chambre'), 'the guest reads their own conversation').toBe(true);
    expect(seen.includes('NOTE-INTERNE'), 'the note reached the guest').toBe(false);
    expect(seen.includes('beau-père'), 'the note reached the guest').toBe(false);
    expect(await young.content()).not.toContain('NOTE-INTERNE');
  });

  it('keeps a gendarme out of the police conversation until it is transferred', async () => {
    gendarme = await agentLogin('gn-agent-2');
    await gendarme.getByRole('heading', { name: /Gendarmerie nationale/ }).waitFor();
    await gendarme.waitForTimeout(1000);
    expect(await gendarme.content()).not.toContain(chat.roomId);
    expect(await gendarme.locator('li.row', { hasText: ticket }).count()).toBe(0);
    // Not through the client, nor around it: Synapse refuses the room, the bot refuses the claim.
    const gn = await loginStaff(stack, 'gn-agent-2');
    expect(
      (await matrix(stack, gn.accessToken, 'POST', `/_matrix/client/v3/join/${enc(chat.roomId)}`, {})).status,
    ).toBe(403);
    expect(
      (
        await matrix(
          stack,
          gn.accessToken,
          'GET',
          `/_matrix/client/v3/rooms/${enc(chat.roomId)}/messages?dir=b&limit=10`,
        )
      ).status,
    ).toBe(403);
    expect(await command(stack, gn, 'gendarmerie', { action: 'claim', conversation: chat.roomId })).toEqual({
      ok: false,
      code: 'UNKNOWN_CONVERSATION',
    });
    expect(await command(stack, gn, 'police', { action: 'claim', conversation: chat.roomId })).toEqual({
      ok: false,
      code: 'M_FORBIDDEN',
    });
  });

  it('transfers to the gendarmerie, where a gendarme claims it and talks to the young person', async () => {
    await police.getByRole('button', { name: 'Transférer' }).click();
    await police.getByRole('dialog').locator('select').selectOption('force');
    await police.getByRole('dialog').locator('textarea').fill('Habite en zone gendarmerie');
    await screens(police, 'full-agent-transfer-dialog', { fullPage: false });
    await police.getByRole('dialog').getByRole('button', { name: 'Transférer' }).click();
    await expect.poll(() => police.locator('.mine button', { hasText: ticket }).count(), { timeout: 20_000 }).toBe(0);

    // The gendarmerie gives it a ticket of its own.
    const moved = await until('the conversation in the gendarmerie queue', async () => {
      const found = await conversationEntry(stack, 'gendarmerie', chat.roomId);
      return found?.state === 'queued' ? found : undefined;
    });
    ticket = `n° ${moved.ticket}`;
    const row = gendarme.locator('li.row', { hasText: ticket });
    await row.waitFor({ timeout: 20_000 });
    await screens(gendarme, 'full-gendarme-queue', { fullPage: false });
    await row.getByRole('button', { name: 'Prendre' }).click();
    await openMine(gendarme);
    await expect
      .poll(() => gendarme.locator('.timeline').textContent(), { timeout: 15_000 })
      .toContain('dans ma chambre');
    await gendarme.locator('#composer-input').fill('Bonjour, ici Noa, de la gendarmerie. Je prends le relais.');
    await gendarme.locator('#composer-input').press('Enter');
    await young
      .getByRole('log')
      .getByText('Bonjour, ici Noa, de la gendarmerie. Je prends le relais.', { exact: true })
      .waitFor({ timeout: 15_000 });
    await expect.poll(() => statusBar(young).textContent(), { timeout: 15_000 }).toContain('Tu parles avec');
    await say(young, 'd’accord');
    await expect.poll(() => gendarme.locator('.timeline').textContent(), { timeout: 15_000 }).toContain('d’accord');
    // The police agent who handed it over can no longer write in it.
    const pn = await loginStaff(stack, 'pn-agent-1');
    const members = await matrix<{ joined: Record<string, unknown> }>(
      stack,
      pn.accessToken,
      'GET',
      `/_matrix/client/v3/rooms/${enc(chat.roomId)}/joined_members`,
    );
    expect(members.status === 403 || !(pn.userId in (members.body.joined ?? {}))).toBe(true);
    await screens(young, 'full-young-with-gendarme', { focus: young.getByRole('log').getByRole('listitem').last() });
  });

  it('keeps each agent’s words under their own pseudonym for the young person after the transfer', async () => {
    const pseudonym = (localpart: string) => stack.demo.find((account) => account.handle === localpart)?.pseudonym;
    const [alex, noa] = [pseudonym('pn-agent-1'), pseudonym('gn-agent-2')];
    const authorOf = (text: string) =>
      young.getByRole('log').getByRole('listitem').filter({ hasText: text }).locator('.author').textContent();
    expect(await authorOf('Bonjour, ici Noa, de la gendarmerie.')).toBe(noa);
    // The police officer's earlier words must not be attributed to the gendarme who took over.
    expect(await authorOf('Tu as bien fait d’écrire. Où es-tu en ce moment ?')).toBe(alex);
  });

  it('closes with an outcome: the young person sees the goodbye and the end screen', async () => {
    await gendarme.getByRole('button', { name: 'Clôturer' }).click();
    await gendarme.getByRole('dialog', { name: /Clôturer la conversation/ }).waitFor();
    await gendarme.getByLabel(/3018/).check();
    await screens(gendarme, 'full-agent-close-dialog', { fullPage: false });
    await gendarme.getByRole('dialog').getByRole('button', { name: 'Clôturer' }).click();
    await young.getByRole('heading', { name: 'La conversation est terminée' }).waitFor({ timeout: 20_000 });
    await screens(young, 'full-young-ended', { fullPage: false });
    // The bot's goodbye, with the orientation the gendarme chose, is in the young person's room.
    await expect.poll(async () => (await guestSees()).includes('Le 3018 peut t'), { timeout: 15_000 }).toBe(true);
    expect((await conversationEntry(stack, 'gendarmerie', chat.roomId))?.outcome).toBe('3018');
    expect(await storedChat(young)).toBeUndefined();
    expect(youngOrigins.foreign).toEqual([]);
  });

  it('shows the young person the goodbye with the orientation the agent chose', async () => {
    // docs/architecture.md, Lifecycle 6: the young person gets a goodbye that names resources. The bot's goodbye
    // names what the agent advised (here the 3018); the end screen must not drop it for generic text.
    await young.waitForTimeout(500);
    expect(await young.locator('main').textContent()).toContain('Le 3018 peut t');
    await youngContext.close();
  });
});
