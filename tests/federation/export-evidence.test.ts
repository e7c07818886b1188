import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentKey, SafetyEventType, type ExportRecord } from '@espace-mineurs/protocol';
import { connectHomeserver } from '../../bot/src/matrix/homeserver.ts';
import { sha256 } from '../../bot/src/runtime/safety.ts';
import { freshAddress } from '../support/conversation.ts';
import { call, waitFor, type ServerSession } from './support.ts';
import {
  botSession,
  command,
  demoLogin,
  eventsContaining,
  known,
  openAndTriage,
  startDeployment,
  timeline,
  type Role,
  type RunningDeployment,
  type TimelineEvent,
} from './bot-support.ts';

/**
 * Evidence and the supervisor export in the federated topology, through the real bot process: a police
 * conversation gets an evidence image from the young person (cleaned, posted in their room by the public account,
 * its hash audited by the police account), then a police supervisor exports it: the two files, the export record
 * and the audit are on the police server only, neither the public nor the gendarmerie server holds any of it.
 * Once the conversation is deleted by the retention sweep, the export is taken back on the police server, the
 * only one that held it.
 */
const ROLES: readonly Role[] = ['public', 'police', 'gendarmerie'];
const RETENTION_SECONDS = 8;
let d: RunningDeployment;

beforeAll(async () => {
  d = await startDeployment('export-evidence', {
    ESPACE_RETENTION_PERIOD: String(RETENTION_SECONDS),
    ESPACE_RETENTION_SWEEP_INTERVAL: '2',
  });
});

afterAll(async () => {
  await d?.stop();
});

/** Rows of the server's media store (local uploads and cached remote media) for one mxc, read from its database. */
function mediaRows(role: Role, mxc: string): number {
  const [, origin, mediaId] = /^mxc:\/\/([^/]+)\/([^/]+)$/.exec(mxc) ?? [];
  if (!origin || !mediaId) throw new Error(`not an mxc: ${mxc}`);
  const db = new DatabaseSync(join(d.topology.servers[role].dataDir, 'homeserver.db'), { readOnly: true });
  try {
    const local = db.prepare('SELECT COUNT(*) AS n FROM local_media_repository WHERE media_id = ?').get(mediaId) as {
      n: number;
    };
    const remote = db
      .prepare('SELECT COUNT(*) AS n FROM remote_media_cache WHERE media_origin = ? AND media_id = ?')
      .get(origin, mediaId) as { n: number };
    return local.n + remote.n;
  } finally {
    db.close();
  }
}

/** Posts raw bytes as the young person's browser would. */
async function postEvidence(guest: ServerSession, bytes: Buffer): Promise<{ status: number; sha256?: string }> {
  const response = await fetch(`${d.bot.url}/api/conversations/current/evidence`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${guest.accessToken}`,
      'content-type': 'image/jpeg',
      'x-forwarded-for': freshAddress(),
    },
    body: new Uint8Array(bytes),
  });
  return { status: response.status, ...((await response.json()) as { sha256?: string }) };
}

/** The bot's download of a media, through the server `role`'s account (authenticated media). */
function download(role: Role, mxc: string): Promise<Buffer> {
  const session = botSession(d, role);
  return connectHomeserver(session.baseUrl, session.accessToken, session.userId).download(mxc);
}

/** The police audit room's entries about the conversation, each written by the bot's police account. */
async function policeAudit(roomId: string): Promise<Array<Record<string, unknown>>> {
  const police = botSession(d, 'police');
  return (await timeline(police, d.result.forces.police.auditRoomId))
    .filter((event) => event.sender === police.userId && event.content.conversation === roomId)
    .map((event) => event.content);
}

/** The export record, as the police supervisors room holds it on the police server. */
async function exportRecord(supervisor: ServerSession, roomId: string): Promise<ExportRecord | undefined> {
  const answer = await call<Array<{ type: string; content: ExportRecord }>>(
    supervisor.baseUrl,
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(d.result.forces.police.supervisorsRoomId)}/state`,
    { token: supervisor.accessToken },
  );
  expect(answer.status).toBe(200);
  return answer.body.find((event) => event.type === SafetyEventType.Export && event.content.conversation === roomId)
    ?.content;
}

const serverOf = (mxc: string): string => mxc.slice('mxc://'.length, mxc.indexOf('/', 'mxc://'.length));

describe('evidence and export in the federated topology', () => {
  it('the evidence audited and the export made on the police server only, taken back there when the conversation is deleted', async () => {
    const servers = d.result.servers;
    const queue = d.result.forces.police.queueRoomId;
    const [agent, supervisor] = await Promise.all([demoLogin(d, 'pn-agent-1'), demoLogin(d, 'pn-superviseur-1')]);
    expect(await command(agent, queue, { action: 'duty', onDuty: true, capacity: 10 })).toMatchObject({ ok: true });
    const { guest, roomId } = await openAndTriage(d, '92100', 'police');
    expect(await command(agent, queue, { action: 'claim', conversation: roomId })).toMatchObject({ ok: true });

    // Evidence: a photo with an author and a GPS position, cleaned and posted in the young person's room.
    const input = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#246' } })
      .withExif({ IFD0: { Artist: 'Jean Dupont' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2400/100' } })
      .jpeg()
      .toBuffer();
    const accepted = await postEvidence(guest, input);
    expect(accepted.status).toBe(201);
    const hash = accepted.sha256!;
    const image = await waitFor('the image in the room', async () =>
      (await timeline(guest, roomId)).find((event) => event.content.msgtype === 'm.image'),
    );
    // Posted by the public account, its media in the public server's store (the young person's room is there).
    expect(image.sender).toBe(servers.public.botUserId);
    expect(image.content).toMatchObject({ 'fr.espace-mineurs.evidence': { sha256: hash } });
    const imageMxc = String(image.content.url);
    expect(serverOf(imageMxc)).toBe(servers.public.serverName);
    const served = await download('public', imageMxc);
    expect(sha256(served)).toBe(hash);
    expect((await sharp(served).metadata()).exif).toBeUndefined();
    // Its hash is audited by the police account on the police server.
    await waitFor('the evidence audited on the police server', async () =>
      (await policeAudit(roomId)).some(
        (entry) => entry.action === 'evidence' && (entry.details as { sha256?: string }).sha256 === hash,
      )
        ? true
        : undefined,
    );

    // The export: refused to an agent, made by a supervisor, posted in the police supervisors room.
    expect(await command(agent, queue, { action: 'export', conversation: roomId })).toMatchObject({
      ok: false,
      code: 'NOT_SUPERVISOR',
    });
    expect(await command(supervisor, queue, { action: 'export', conversation: roomId })).toMatchObject({ ok: true });
    const supervisorsRoomId = d.result.forces.police.supervisorsRoomId;
    const isExportFile = (event: TimelineEvent) =>
      event.content.msgtype === 'm.file' &&
      (event.content[ContentKey.Export] as { conversation?: string } | undefined)?.conversation === roomId;
    const files = (await timeline(supervisor, supervisorsRoomId)).filter(isExportFile);
    expect(files.map((event) => event.sender)).toEqual([servers.police.botUserId, servers.police.botUserId]);
    expect(files.map((event) => (event.content.info as { mimetype: string }).mimetype).sort()).toEqual([
      'application/json',
      'text/html',
    ]);
    const fileMxcs = files.map((event) => String(event.content.url));
    for (const mxc of fileMxcs) expect(serverOf(mxc)).toBe(servers.police.serverName);
    const jsonFile = files.find((event) => String(event.content.body).endsWith('.json'))!;
    const doc = JSON.parse((await download('police', String(jsonFile.content.url))).toString('utf8')) as {
      roomId: string;
      documentSha256: string;
      events: Array<{ eventId: string; role: string }>;
      evidence: Array<{ sha256: string; verified?: boolean }>;
    };
    expect(doc.roomId).toBe(roomId);
    // The whole room, read from the public server: the bot's messages (public account), the young person's answers.
    expect(doc.events.some((event) => event.role === 'service')).toBe(true);
    expect(doc.events.some((event) => event.role === 'jeune')).toBe(true);
    expect(doc.evidence).toEqual([expect.objectContaining({ sha256: hash, verified: true })]);
    const exported = await waitFor('the export audited on the police server', async () =>
      (await policeAudit(roomId)).find((entry) => entry.action === 'export'),
    );
    expect((exported.details as { sha256?: string }).sha256).toBe(doc.documentSha256);
    const record = await waitFor('the export record', () => exportRecord(supervisor, roomId));
    expect(record).toMatchObject({ force: 'police', by: supervisor.userId, documentSha256: doc.documentSha256 });
    expect(record.files.map((file) => file.mxc).sort()).toEqual([...fileMxcs].sort());
    // Nothing of it in the young person's room.
    expect((await timeline(guest, roomId)).some((event) => event.content.msgtype === 'm.file')).toBe(false);

    // Where each thing is, read from each server's own database: the export's files (media), their messages, its
    // record and audit, and the evidence audit, on the police server; none on the public or gendarmerie server.
    for (const mxc of fileMxcs) expect(mediaRows('police', mxc)).toBe(1);
    expect(eventsContaining(d, 'police', doc.documentSha256)).toBeGreaterThan(0);
    expect(eventsContaining(d, 'police', '"action":"evidence"')).toBeGreaterThan(0);
    for (const role of ['public', 'gendarmerie'] as const) {
      for (const mxc of fileMxcs) expect(mediaRows(role, mxc)).toBe(0);
      expect(eventsContaining(d, role, doc.documentSha256)).toBe(0);
      expect(eventsContaining(d, role, '"action":"evidence"')).toBe(0);
      expect(eventsContaining(d, role, '"action":"export"')).toBe(0);
      expect(await known(d, role, supervisorsRoomId)).toBe(false);
      expect(await known(d, role, d.result.forces.police.auditRoomId)).toBe(false);
    }
    // The image is the young person's message: on the public server, where their room is; the gendarmerie, never
    // in the room, holds neither the message nor the media.
    expect(mediaRows('public', imageMxc)).toBe(1);
    expect(eventsContaining(d, 'gendarmerie', hash)).toBe(0);
    expect(mediaRows('gendarmerie', imageMxc)).toBe(0);

    // Closed, then deleted by the retention sweep: the export is taken back with it, on the police server.
    expect(await command(agent, queue, { action: 'close', conversation: roomId, outcome: 'none' })).toMatchObject({
      ok: true,
    });
    await waitFor(
      'the room deleted on every server',
      async () => {
        for (const role of ROLES) if (await known(d, role, roomId)) return undefined;
        return true;
      },
      120_000,
    );
    const removed = await waitFor('the export taken back', async () => {
      const found = await exportRecord(supervisor, roomId);
      return found?.removedAt !== undefined ? found : undefined;
    });
    expect(removed.files).toEqual(record.files);
    await waitFor('the removal audited on the police server', async () =>
      (await policeAudit(roomId)).some((entry) => entry.action === 'export_removed') ? true : undefined,
    );
    // Its file messages are redacted and its media gone from the police store; no other server ever had a copy.
    const fileIds = new Set(files.map((file) => file.event_id));
    const after = (await timeline(supervisor, supervisorsRoomId)).filter((event) => fileIds.has(event.event_id));
    expect(after.map((event) => event.content)).toEqual([{}, {}]);
    for (const role of ROLES) for (const mxc of fileMxcs) expect(mediaRows(role, mxc)).toBe(0);
    // The evidence image went with the room on the public server.
    expect(mediaRows('public', imageMxc)).toBe(0);
  });
});
