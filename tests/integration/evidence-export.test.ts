import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectHomeserver } from '../../bot/src/matrix/homeserver.ts';
import { sha256 } from '../../bot/src/runtime/safety.ts';
import { loginDemo, registerGuest, stack, type Session } from '../support/matrix.ts';
import {
  answerTriage,
  botMessages,
  command,
  freshAddress,
  openAndJoin,
  timeline,
  waitForEntry,
  waitUntil,
} from '../support/conversation.ts';

const EVIDENCE_PATH = '/api/conversations/current/evidence';

/** Posts raw bytes as the young person's browser would. */
async function postEvidence(
  bytes: Buffer | undefined,
  contentType: string | undefined,
  token?: string,
): Promise<{ status: number; body: { sha256?: string; eventId?: string; error?: { code: string; message: string } } }> {
  const response = await fetch(`${stack().botUrl}${EVIDENCE_PATH}`, {
    method: 'POST',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(contentType ? { 'content-type': contentType } : {}),
      'x-forwarded-for': freshAddress(),
    },
    ...(bytes ? { body: new Uint8Array(bytes) } : {}),
  });
  return { status: response.status, body: (await response.json()) as never };
}

let agent: Session;
let supervisor: Session;

beforeAll(async () => {
  [agent, supervisor] = await Promise.all([loginDemo('pn-agent-1'), loginDemo('pn-superviseur-1')]);
  expect(
    await command(agent, stack().forces.police.queueRoomId, { action: 'duty', onDuty: true, capacity: 10 }),
  ).toMatchObject({ ok: true });
});

async function auditOf(
  roomId: string,
  force: 'police' | 'gendarmerie' = 'police',
): Promise<Array<Record<string, unknown>>> {
  const audit = await timeline({ accessToken: stack().bot.accessToken }, stack().forces[force].auditRoomId, 300);
  return audit.filter((event) => event.content.conversation === roomId).map((event) => event.content);
}

describe('evidence from the young person, and the supervisor export', () => {
  it('requires authentication', async () => {
    expect((await postEvidence(Buffer.from('x'), 'image/png')).status).toBe(401);
  });

  it('refuses a non-image, a wrong type and a too large file with French messages; accepts a cleaned image, posted and audited; a supervisor exports it', async () => {
    const guest = await registerGuest();
    const roomId = await openAndJoin(guest, { context: 'ecole' });
    // No open conversation yet? It is open (triage): evidence is accepted from the start.
    const notImage = await postEvidence(Buffer.from('%PDF-1.4 bonjour'), 'image/png', guest.accessToken);
    expect(notImage.status).toBe(400);
    expect(notImage.body.error?.code).toBe('EVIDENCE_REFUSED');
    expect(notImage.body.error?.message).toMatch(/capture d'écran/);
    const pdf = await postEvidence(Buffer.from('%PDF-1.4 bonjour'), 'application/pdf', guest.accessToken);
    expect(pdf.status).toBe(415);
    expect(pdf.body.error?.code).toBe('EVIDENCE_UNSUPPORTED_TYPE');
    const huge = await postEvidence(Buffer.alloc(8 * 1024 * 1024 + 10, 1), 'image/png', guest.accessToken);
    expect(huge.status).toBe(413);
    expect(huge.body.error?.message).toMatch(/trop lourde/);
    // Nothing was posted for those.
    expect((await timeline(guest, roomId)).some((event) => event.content.msgtype === 'm.image')).toBe(false);

    const input = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#246' } })
      .withExif({ IFD0: { Artist: 'Jean Dupont' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2400/100' } })
      .jpeg()
      .toBuffer();
    const accepted = await postEvidence(input, 'image/jpeg', guest.accessToken);
    expect(accepted.status).toBe(201);
    const hash = accepted.body.sha256!;
    const image = await waitUntil('the image in the room', async () =>
      (await timeline(guest, roomId)).find((event) => event.content.msgtype === 'm.image'),
    );
    expect(image.sender).toBe(stack().bot.userId);
    expect(image.content).toMatchObject({ 'fr.espace-mineurs.evidence': { sha256: hash } });
    const hs = connectHomeserver(stack().baseUrl, stack().bot.accessToken, stack().bot.userId);
    const served = await hs.download(String(image.content.url));
    expect(sha256(served)).toBe(hash);
    expect((await sharp(served).metadata()).exif).toBeUndefined();
    // The same image again is the same message (stable transaction), not a second one.
    expect((await postEvidence(input, 'image/jpeg', guest.accessToken)).body.eventId).toBe(accepted.body.eventId);

    // Routed to the police, then exported by a supervisor (an agent may not).
    await answerTriage(guest, roomId, ['2', '3', '2', '4', '94000']);
    await waitForEntry(roomId, 'police', 'queued', (entry) => entry.state === 'queued');
    await waitUntil('the evidence audited', async () =>
      (await auditOf(roomId)).some(
        (entry) => entry.action === 'evidence' && (entry.details as { sha256?: string }).sha256 === hash,
      )
        ? true
        : undefined,
    );
    // Sent during the triage, before routing: audited by the police, which serves it, and never by the gendarmerie.
    expect(
      (await auditOf(roomId)).filter((entry) => entry.action === 'evidence').map((entry) => entry.details),
    ).toEqual([{ sha256: hash, size: expect.any(Number) }]);
    expect(await auditOf(roomId, 'gendarmerie')).toEqual([]);
    const queue = stack().forces.police.queueRoomId;
    expect(await command(agent, queue, { action: 'export', conversation: roomId })).toMatchObject({
      ok: false,
      code: 'NOT_SUPERVISOR',
    });
    expect(await command(supervisor, queue, { action: 'export', conversation: roomId })).toMatchObject({ ok: true });
    const files = botMessages(await timeline(supervisor, stack().forces.police.supervisorsRoomId, 100)).filter(
      (event) =>
        event.content.msgtype === 'm.file' &&
        (event.content['fr.espace-mineurs.export'] as { conversation?: string } | undefined)?.conversation === roomId,
    );
    expect(files.map((event) => (event.content.info as { mimetype: string }).mimetype).sort()).toEqual([
      'application/json',
      'text/html',
    ]);
    const json = JSON.parse(
      (
        await hs.download(String(files.find((event) => String(event.content.body).endsWith('.json'))!.content.url))
      ).toString('utf8'),
    ) as { documentSha256: string; evidence: Array<{ sha256: string; verified?: boolean }> };
    expect(json.evidence).toEqual([expect.objectContaining({ sha256: hash, verified: true })]);
    const exported = await waitUntil('the export audited', async () =>
      (await auditOf(roomId)).find((entry) => entry.action === 'export'),
    );
    expect((exported?.details as { sha256?: string }).sha256).toBe(json.documentSha256);
    // Not in the young person's room nor the queue room.
    expect((await timeline(guest, roomId)).some((event) => event.content.msgtype === 'm.file')).toBe(false);
  });
});
