import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ConversationEntry } from '@espace-mineurs/protocol';
import { api } from './support/api.ts';
import { auditScreen, contrast } from './support/audit.ts';
import { chimesOf, loginAs, notificationsOf, recordNotifications } from './support/browser.ts';
import type { Guest } from './support/engine.ts';
import { demoAccount, startAgentClientStack, type AgentClientStack } from './support/stack.ts';

/**
 * What an agent lives through in the agent client beyond the happy path: the conversation opening by itself after
 * a claim, messages of their other conversations ringing, edits and deletions shown live, an honest screen after
 * closing, the service's refusals in the flow and gone once resolved, and the keyboard — with axe-core on each
 * screen, at 360 px and 1280 px.
 */
let stack: AgentClientStack;
type Opened = { guest: Guest; entry: ConversationEntry };
let first: Opened;
let urgent: Opened;
let spare: Opened;
let spare2: Opened;
const problems: string[] = [];
let audited = 0;

const enc = encodeURIComponent;
let txn = 0;
async function guestSends(guest: Guest, roomId: string, content: Record<string, unknown>): Promise<string> {
  const sent = await api<{ event_id: string }>(
    stack.homeserver.baseUrl,
    guest.accessToken,
    'PUT',
    `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/care-${Date.now()}-${txn++}`,
    content,
  );
  return sent.event_id;
}

async function audit(page: Page, name: string): Promise<void> {
  await auditScreen(page, name, problems);
  audited++;
}

const mineButton = (page: Page, ticket: number) =>
  page.locator('.mine button', { hasText: new RegExp(`n° ${ticket}(?!\\d)`) });

beforeAll(async () => {
  stack = await startAgentClientStack();
  first = await stack.engine.openConversation({ force: 'police', what: 'harcelement', firstWords: ['bonjour'] });
  urgent = await stack.engine.openConversation({ force: 'police', what: 'violences-physiques', urgent: true });
  spare = await stack.engine.openConversation({ force: 'police', what: 'addiction' });
  spare2 = await stack.engine.openConversation({ force: 'police', what: 'sextorsion' });
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the agent client takes care of the agent', () => {
  let page: Page;

  beforeAll(async () => {
    const context = await stack.browser.newContext();
    await recordNotifications(context);
    page = await loginAs(stack, context, 'pn-agent-1');
  }, 120_000);

  afterAll(async () => {
    await page?.context().close();
  });

  it('opens the conversation by itself after a claim, its composer focused; the timeline scrolls from the keyboard', async () => {
    await audit(page, 'login-queue');
    await page.getByRole('switch').click();
    await expect.poll(() => page.getByRole('switch').textContent(), { timeout: 20_000 }).toContain('En service');
    await page
      .locator('li.row', { hasText: `n° ${first.entry.ticket}` })
      .getByRole('button', { name: 'Prendre' })
      .click();
    // No click in the sidebar: the claim itself opens the conversation once the bot has let the agent in.
    await page.locator('.timeline').waitFor({ timeout: 30_000 });
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.id), { timeout: 10_000 })
      .toBe('composer-input');

    for (let index = 0; index < 14; index++)
      await guestSends(first.guest, first.entry.roomId, { msgtype: 'm.text', body: `ligne ${index} de l’histoire` });
    const timeline = page.getByRole('log', { name: 'Messages de la conversation' });
    await expect.poll(() => timeline.textContent(), { timeout: 20_000 }).toContain('ligne 13');
    expect(await timeline.getAttribute('tabindex')).toBe('0');
    await timeline.focus();
    const bottom = await timeline.evaluate((element) => element.scrollTop);
    expect(bottom).toBeGreaterThan(0);
    await page.keyboard.press('Home');
    await expect.poll(() => timeline.evaluate((element) => element.scrollTop)).toBeLessThan(bottom);
    await audit(page, 'conversation');
  });

  it('shows edits and deletions live: the new text marked « modifié », « Message supprimé » in place', async () => {
    // The young person edits their message; the agent, from another client (Element), deletes one of theirs
    // (guests may not redact: Synapse answers M_GUEST_ACCESS_FORBIDDEN).
    const element = await api<{ access_token: string }>(
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
    const original = await guestSends(first.guest, first.entry.roomId, {
      msgtype: 'm.text',
      body: 'il me suit après le collège',
    });
    const regretted = await guestSends({ userId: '', accessToken: element.access_token }, first.entry.roomId, {
      msgtype: 'm.text',
      body: 'Mon numéro perso : 06 12 34 56 78',
    });
    const timeline = page.locator('.timeline');
    await expect.poll(() => timeline.textContent(), { timeout: 20_000 }).toContain('06 12 34 56 78');
    await guestSends(first.guest, first.entry.roomId, {
      msgtype: 'm.text',
      body: '* il me suit tous les soirs après le collège',
      'm.new_content': { msgtype: 'm.text', body: 'il me suit tous les soirs après le collège' },
      'm.relates_to': { rel_type: 'm.replace', event_id: original },
    });
    await api(
      stack.homeserver.baseUrl,
      element.access_token,
      'PUT',
      `/_matrix/client/v3/rooms/${enc(first.entry.roomId)}/redact/${enc(regretted)}/care-r${txn++}`,
      {},
    );
    const edited = page.locator('.msg', { hasText: 'il me suit tous les soirs après le collège' });
    await edited.waitFor({ timeout: 20_000 });
    expect(await edited.textContent()).toContain('modifié');
    await expect.poll(() => timeline.textContent(), { timeout: 20_000 }).not.toContain('06 12 34 56 78');
    expect(await timeline.textContent()).not.toContain('* il me suit');
    expect(await timeline.textContent()).not.toContain('il me suit après le collège');
    expect(await page.locator('.msg.deleted').textContent()).toContain('Message supprimé');
    await audit(page, 'conversation-edited');
    await api(stack.homeserver.baseUrl, element.access_token, 'POST', '/_matrix/client/v3/logout', {});
  });

  it('rings for a message in another of my conversations (ticket only), puts the urgent one first, counts « 1 non lu »', async () => {
    await page.keyboard.press('Alt+KeyF');
    await page
      .locator('li.row', { hasText: `n° ${urgent.entry.ticket}` })
      .getByRole('button', { name: 'Prendre' })
      .click();
    await expect
      .poll(() => page.locator('.conversation h1').textContent(), { timeout: 30_000 })
      .toBe(`n° ${urgent.entry.ticket}`);
    await mineButton(page, first.entry.ticket).click();
    await expect.poll(() => page.locator('.conversation h1').textContent()).toBe(`n° ${first.entry.ticket}`);
    const chimesBefore = await chimesOf(page);

    await guestSends(urgent.guest, urgent.entry.roomId, {
      msgtype: 'm.text',
      body: 'au secours il est devant ma porte',
    });
    await expect
      .poll(() => notificationsOf(page), { timeout: 20_000 })
      .toContain(`Nouveau message — conversation prioritaire | Ticket n° ${urgent.entry.ticket}`);
    expect((await notificationsOf(page)).join('\n')).not.toContain('au secours');
    expect(await chimesOf(page)).toBeGreaterThan(chimesBefore);
    const items = page.locator('.mine li');
    expect(await items.first().textContent()).toContain(`n° ${urgent.entry.ticket}`);
    expect(await items.first().locator('button').getAttribute('class')).toContain('urgent');
    expect(await items.first().textContent()).toMatch(/Dernier message \d\d:\d\d/);
    await expect.poll(() => page.title()).toContain('1 non lu)');
    expect(await page.title()).not.toContain('non lus');
    await audit(page, 'sidebar-unread');
  });

  it('after closing, says what happened and offers where to go next — never « Conversation indisponible »', async () => {
    await page.getByRole('button', { name: 'Clôturer' }).click();
    const dialog = page.getByRole('dialog', { name: /Clôturer la conversation/ });
    await dialog.getByLabel(/3018/).check();
    await audit(page, 'close-dialog');
    await dialog.getByRole('button', { name: 'Clôturer' }).click();
    const heading = page.getByRole('heading', { name: `Conversation n° ${first.entry.ticket} clôturée` });
    await heading.waitFor({ timeout: 20_000 });
    // The bot lets the agent out of the room: the screen must stay as honest after that as before.
    const me = await myUserId(page);
    await expect
      .poll(
        async () => {
          const member = await api<{ membership: string }>(
            stack.homeserver.baseUrl,
            stack.boot.bot.accessToken,
            'GET',
            `/_matrix/client/v3/rooms/${enc(first.entry.roomId)}/state/m.room.member/${enc(me)}`,
          );
          return member.membership;
        },
        { timeout: 20_000 },
      )
      .toBe('leave');
    await page.waitForTimeout(1500);
    expect(await heading.isVisible()).toBe(true);
    expect(await page.getByText('Conversation indisponible').count()).toBe(0);
    expect(await page.locator('.ended').textContent()).toContain('Orientation vers le 3018');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('ended-title');
    await audit(page, 'ended');
    await page.getByRole('button', { name: `Ouvrir la conversation n° ${urgent.entry.ticket}` }).click();
    await expect.poll(() => page.locator('.conversation h1').textContent()).toBe(`n° ${urgent.entry.ticket}`);
  });

  it('the shortcuts help takes the focus and keeps Tab inside; the focus ring of « Prendre » stands out', async () => {
    await page.keyboard.press('Alt+Slash');
    const help = page.getByRole('dialog', { name: 'Raccourcis clavier' });
    await help.waitFor();
    const inside = () => help.evaluate((element) => element.contains(document.activeElement));
    await expect.poll(inside).toBe(true);
    for (let index = 0; index < 6; index++) {
      await page.keyboard.press(index % 2 ? 'Shift+Tab' : 'Tab');
      expect(await inside()).toBe(true);
    }
    await audit(page, 'shortcuts-help');
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });

    await page.keyboard.press('Alt+KeyF');
    const take = page
      .locator('li.row', { hasText: `n° ${spare.entry.ticket}` })
      .getByRole('button', { name: 'Prendre' });
    await take.waitFor();
    await page.keyboard.press('Tab');
    await take.focus();
    const ring = await take.evaluate((element) => {
      const style = getComputedStyle(element);
      return {
        visible: element.matches(':focus-visible'),
        outline: style.outlineColor,
        width: style.outlineWidth,
        shadow: style.boxShadow,
        button: style.backgroundColor,
        page: getComputedStyle(document.documentElement).backgroundColor,
      };
    });
    expect(ring.visible).toBe(true);
    expect(ring.width).not.toBe('0px');
    // Two rings: a dark one against the accent-coloured button, a light one against the page.
    expect(contrast(ring.outline, ring.page)).toBeGreaterThanOrEqual(3);
    expect(contrast(ring.shadow, ring.button)).toBeGreaterThanOrEqual(3);
    await audit(page, 'queue-focus');
  });
});

async function myUserId(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      (JSON.parse(localStorage.getItem('espace-mineurs.agent-session') ?? '{}') as { userId?: string }).userId ?? '',
  );
}

describe("the service's answers stay in the flow and go once resolved", () => {
  it('a refused claim (capacity) names the on-screen control, never covers « Envoyer », and goes once resolved', async () => {
    const context = await stack.browser.newContext();
    const form = await context.newPage();
    await form.goto(stack.clientUrl);
    await form.getByRole('button', { name: 'Se connecter' }).waitFor({ timeout: 30_000 });
    await audit(form, 'login');
    await form.close();
    const page = await loginAs(stack, context, 'pn-agent-2');
    await page.getByRole('switch').click();
    await expect.poll(() => page.getByRole('switch').textContent(), { timeout: 20_000 }).toContain('En service');
    await page.getByLabel('Nombre de conversations simultanées').selectOption('1');
    await page
      .locator('li.row', { hasText: `n° ${spare.entry.ticket}` })
      .getByRole('button', { name: 'Prendre' })
      .click();
    await page.locator('.timeline').waitFor({ timeout: 30_000 });
    await page.keyboard.press('Alt+KeyF');
    await page
      .locator('li.row', { hasText: `n° ${spare2.entry.ticket}` })
      .getByRole('button', { name: 'Prendre' })
      .click();
    const alert = page.getByRole('alert').filter({ hasText: 'Prise en charge' });
    await alert.waitFor({ timeout: 20_000 });
    expect(await alert.textContent()).toContain('« Capacité »');
    expect(await alert.textContent()).not.toContain('!service');

    await mineButton(page, spare.entry.ticket).click();
    await page.locator('#composer-input').fill('Bonjour');
    for (const width of [360, 1280]) {
      await page.setViewportSize({ width, height: 740 });
      if (width === 360) await page.waitForTimeout(300);
      const send = page.getByRole('button', { name: 'Envoyer' });
      const box = await send.boundingBox();
      const covering = await alert.boundingBox();
      if (!box || !covering) throw new Error('no box for « Envoyer » or the alert');
      const overlaps =
        box.x < covering.x + covering.width &&
        covering.x < box.x + box.width &&
        box.y < covering.y + covering.height &&
        covering.y < box.y + box.height;
      expect(overlaps, `alert over « Envoyer » at ${width}px`).toBe(false);
      const hit = await page.evaluate(({ x, y }) => document.elementFromPoint(x, y)?.textContent, {
        x: box.x + box.width / 2,
        y: box.y + box.height / 2,
      });
      expect(hit).toBe('Envoyer');
    }
    await audit(page, 'refused-claim');

    // Raising the capacity resolves it: the alert goes by itself, and the claim then goes through.
    await page.getByLabel('Nombre de conversations simultanées').selectOption('2');
    await expect.poll(() => alert.count(), { timeout: 20_000 }).toBe(0);
    await page.keyboard.press('Alt+KeyF');
    await page
      .locator('li.row', { hasText: `n° ${spare2.entry.ticket}` })
      .getByRole('button', { name: 'Prendre' })
      .click();
    await expect
      .poll(() => page.locator('.conversation h1').textContent(), { timeout: 30_000 })
      .toBe(`n° ${spare2.entry.ticket}`);
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.context().close();
  });

  it('passes axe-core with no serious or critical violation on every screen above, at 360 px and 1280 px', () => {
    expect(audited).toBeGreaterThanOrEqual(8);
    expect(problems).toEqual([]);
  });
});
