import { deflateSync, crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { axeSerious, launchChromium, PHONE, screens, watchOrigins } from './support/browser.ts';
import { api, claimAndJoin, enc, loginStaff, releaseClaimed, until, type Staff } from './support/matrix.ts';
import { answerPostalCode, answerTriageByClicks, storedChat } from './support/young.ts';

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

/** A small valid PNG (RGB, a few coloured pixels), built here so the test needs no fixture file. */
function smallPng(width = 48, height = 32): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, truecolour, no interlace
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(0);
    for (let x = 0; x < width; x++) rows.push((x * 60) % 256, (y * 90) % 256, 120);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

interface RoomEvent {
  event_id: string;
  type: string;
  sender: string;
  content: { msgtype?: string; url?: string; info?: { mimetype?: string }; [key: string]: unknown };
}

async function roomImages(roomId: string): Promise<RoomEvent[]> {
  const page = await api<{ chunk: RoomEvent[] }>(
    stack,
    agent.accessToken,
    'GET',
    `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=50`,
  );
  return page.chunk.filter((event) => event.type === 'm.room.message' && event.content.msgtype === 'm.image');
}

describe('a screenshot sent by the young person as evidence', () => {
  it('refuses a non-image with a clear message and nothing sent, then delivers a PNG to the room as m.image', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const origins = watchOrigins(context, stack);
    const page = await context.newPage();
    await page.goto(`${stack.siteUrl}/chat`);
    await page.getByRole('button', { name: 'Commencer la conversation' }).click();
    await answerTriageByClicks(page, [
      'Sur les réseaux sociaux',
      "Ça m'arrive à moi",
      'Du harcèlement ou du cyberharcèlement',
      'Non, pas en ce moment',
      '13 ou 14 ans',
    ]);
    await answerPostalCode(page, '93200');
    const stored = await storedChat(page);
    const roomId = stored?.roomId;
    if (!roomId) throw new Error('no conversation');

    // The agent claims and joins, so they can read the room as any Matrix client would.
    await claimAndJoin(stack, agent, roomId);

    // The picker is a real file input, named by its visible label, reachable by keyboard.
    const picker = page.getByLabel('Envoyer une capture d’écran');
    expect(await picker.getAttribute('type')).toBe('file');
    expect(await picker.getAttribute('accept')).toBe('image/jpeg,image/png,image/webp');
    await picker.focus();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('evidence-file');

    // Not an image: refused on the phone, with a kind message; nothing reaches the bot or the room.
    const botCalls: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/evidence')) botCalls.push(request.method());
    });
    await picker.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('pas une image') });
    await page
      .getByRole('status')
      .filter({ hasText: 'On ne peut recevoir que des images' })
      .waitFor({ timeout: 5_000 });
    expect(botCalls.filter((method) => method === 'POST')).toEqual([]);

    // Claims to be a PNG but is not: the bot refuses it and its French message is shown as it is.
    await picker.setInputFiles({
      name: 'faux.png',
      mimeType: 'image/png',
      buffer: Buffer.from('pas vraiment une image'),
    });
    await page
      .getByRole('status')
      .filter({ hasText: 'Ce fichier n’est pas une image JPEG, PNG ou WebP' })
      .or(page.getByRole('status').filter({ hasText: "Ce fichier n'est pas une image JPEG, PNG ou WebP" }))
      .waitFor({ timeout: 10_000 });
    expect(await roomImages(roomId)).toEqual([]);

    // A real screenshot: sent, shown with its short hash, and an m.image with the evidence key in the room.
    await picker.setInputFiles({ name: 'capture.png', mimeType: 'image/png', buffer: smallPng() });
    const sent = page.getByRole('status').filter({ hasText: 'Capture d’écran envoyée (empreinte' });
    await sent.waitFor({ timeout: 20_000 });
    const image = await until('the m.image on the agent’s side', async () => (await roomImages(roomId))[0]);
    expect(image.content.url).toMatch(/^mxc:\/\//);
    expect(image.content.info?.mimetype).toBe('image/png');
    const evidence = image.content['fr.espace-mineurs.evidence'] as { sha256: string };
    expect(evidence.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await sent.textContent()).toContain(evidence.sha256.slice(0, 8));
    await page
      .getByRole('log')
      .getByText(`Capture d’écran envoyée (empreinte ${evidence.sha256.slice(0, 8)})`)
      .waitFor({ timeout: 15_000 });
    expect(await roomImages(roomId)).toHaveLength(1);
    // The image itself, fetched with the guest's token (authenticated media) and shown through a blob: URL.
    const shown = page.getByRole('log').locator('img.evidence-image');
    await shown.waitFor({ timeout: 15_000 });
    expect(await shown.getAttribute('src')).toMatch(/^blob:/);
    await expect
      .poll(() => shown.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 10_000 })
      .toBe(48);
    await screens(page, 'chat-evidence-image', { focus: shown });
    expect(await axeSerious(page)).toEqual([]);
    await screens(page, 'chat-evidence-sent', { focus: picker });

    // Nothing of the image kept in the browser's storage.
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.evaluate(() => sessionStorage.getItem('espace.chat') ?? '')).not.toContain('capture');

    await page.getByRole('button', { name: 'Terminer la conversation' }).click();
    await page.getByRole('button', { name: 'Oui, terminer' }).click();
    await page.getByRole('heading', { name: 'La conversation est terminée' }).waitFor({ timeout: 15_000 });
    expect(origins.foreign).toEqual([]);
    await context.close();
  });
});
