import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentKey, SafetyEventType, type ExportRecord, type Force } from '@espace-mineurs/protocol';
import { connectHomeserver } from '../../bot/src/matrix/homeserver.ts';
import { sha256 } from '../../bot/src/runtime/safety.ts';
import { freshAddress } from '../support/conversation.ts';
import { call, join as joinRoom, send, texts, waitFor, type ServerSession } from './support.ts';
import {
  botSession,
  command,
  demoLogin,
  downloadAs,
  entryOf,
  eventsContaining,
  known,
  mediaCopies,
  openAndTriage,
  rowsInDatabase,
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
 *
 * Then across forces: a conversation exported by the police and, after a cold transfer, by the gendarmerie (each
 * export on its force's server only), whose evidence the police server cached when its agent opened it; another one
 * the police exported and held before transferring it. When retention deletes the first, every copy goes (the room
 * on the three servers, both exports, the evidence and the police server's cached copy); the held one stays, with
 * its export, although its retention record is now the gendarmerie's.
 */
const ROLES: readonly Role[] = ['public', 'police', 'gendarmerie'];
const RETENTION_SECONDS = 8;
let d: RunningDeployment;

beforeAll(async () => {
  d = await startDeployment('export-evidence', {
    ESPACE_RETENTION_PERIOD: String(RETENTION_SECONDS),
    ESPACE_RETENTION_SWEEP_INTERVAL: '2',
    // Long: the exports below are taken back because their conversation is deleted, not because their time is up.
    ESPACE_EXPORT_PERIOD: '86400',
  });
});

afterAll(async () => {
  await d?.stop();
});

/** Rows of the server's media store (local uploads and cached remote media) for one mxc, read from its database. */
function mediaRows(role: Role, mxc: string): number {
  const copies = mediaCopies(d, role, mxc);
  return copies.local + copies.remote;
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

/** A force's audit room's entries about the conversation, each written by the bot's account on that force's server. */
async function auditOf(force: Force, roomId: string): Promise<Array<Record<string, unknown>>> {
  const bot = botSession(d, force);
  return (await timeline(bot, d.result.forces[force].auditRoomId))
    .filter((event) => event.sender === bot.userId && event.content.conversation === roomId)
    .map((event) => event.content);
}

const policeAudit = (roomId: string) => auditOf('police', roomId);

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

interface ExportDocument {
  roomId: string;
  documentSha256: string;
  events: Array<{ type: string; sender: string; role: string; content: Record<string, unknown> }>;
  evidence: Array<{ sha256: string; mxc: string; verified?: boolean }>;
}

interface PostedExport {
  exportId: string;
  documentSha256: string;
  files: TimelineEvent[];
  doc: ExportDocument;
}

/**
 * A supervisor's export command, and the two files the force's bot account posts in that force's supervisors
 * room, read on the force's server by the supervisor (who also downloads the JSON there).
 */
async function exportAs(supervisor: ServerSession, force: Force, roomId: string): Promise<PostedExport> {
  expect(
    await command(supervisor, d.result.forces[force].queueRoomId, { action: 'export', conversation: roomId }),
  ).toMatchObject({ ok: true });
  const files = await waitFor(`the ${force} export files`, async () => {
    const found = (await timeline(supervisor, d.result.forces[force].supervisorsRoomId)).filter(
      (event) =>
        event.content.msgtype === 'm.file' &&
        (event.content[ContentKey.Export] as { conversation?: string } | undefined)?.conversation === roomId,
    );
    return found.length === 2 ? found : undefined;
  });
  for (const file of files) expect(file.sender).toBe(d.result.bots[force].userId);
  expect(files.map((event) => (event.content.info as { mimetype: string }).mimetype).sort()).toEqual([
    'application/json',
    'text/html',
  ]);
  const json = files.find((event) => String(event.content.body).endsWith('.json'))!;
  const fetched = await downloadAs(supervisor, String(json.content.url));
  expect(fetched.status).toBe(200);
  const doc = JSON.parse(fetched.bytes.toString('utf8')) as ExportDocument;
  const meta = json.content[ContentKey.Export] as { id: string; documentSha256: string };
  expect(meta.documentSha256).toBe(doc.documentSha256);
  return { exportId: meta.id, documentSha256: doc.documentSha256, files, doc };
}

/** Each export file's media: uploaded on `force`'s server, and no copy of it anywhere else. */
function expectFilesOnlyOn(posted: PostedExport, force: Force): void {
  for (const file of posted.files) {
    const mxc = String(file.content.url);
    expect(serverOf(mxc)).toBe(d.result.servers[force].serverName);
    for (const role of ROLES)
      expect(mediaCopies(d, role, mxc)).toEqual(role === force ? { local: 1, remote: 0 } : { local: 0, remote: 0 });
  }
}

/** A police agent's cold transfer to the gendarmerie, and a gendarme's claim of it there. */
async function transferToGendarmerie(agent: ServerSession, gendarme: ServerSession, roomId: string): Promise<void> {
  expect(
    await command(agent, d.result.forces.police.queueRoomId, {
      action: 'transfer',
      conversation: roomId,
      to: { force: 'gendarmerie' },
      mode: 'cold',
    }),
  ).toMatchObject({ ok: true });
  await waitFor('queued with the gendarmerie', async () =>
    (await entryOf(d, 'gendarmerie', roomId))?.state === 'queued' ? true : undefined,
  );
  expect(
    await command(gendarme, d.result.forces.gendarmerie.queueRoomId, { action: 'claim', conversation: roomId }),
  ).toMatchObject({ ok: true });
}

describe('exports of both forces, a legal hold across a transfer, every copy deleted', () => {
  let agent: ServerSession;
  let policeSupervisor: ServerSession;
  let gendarme: ServerSession;
  let gendarmerieSupervisor: ServerSession;
  let conversation: { guest: ServerSession; roomId: string; evidenceMxc: string; evidenceSha256: string } | undefined;
  let policeExport: PostedExport | undefined;
  let gendarmerieExport: PostedExport | undefined;
  /** A police conversation, exported and held by the police, then transferred and closed by the gendarmerie. */
  let held: { roomId: string; posted: PostedExport } | undefined;

  beforeAll(async () => {
    [agent, policeSupervisor, gendarme, gendarmerieSupervisor] = await Promise.all([
      demoLogin(d, 'pn-agent-1'),
      demoLogin(d, 'pn-superviseur-1'),
      demoLogin(d, 'gn-agent-1'),
      demoLogin(d, 'gn-superviseur-1'),
    ]);
    expect(
      await command(agent, d.result.forces.police.queueRoomId, { action: 'duty', onDuty: true, capacity: 10 }),
    ).toMatchObject({ ok: true });
    expect(
      await command(gendarme, d.result.forces.gendarmerie.queueRoomId, {
        action: 'duty',
        onDuty: true,
        capacity: 10,
      }),
    ).toMatchObject({ ok: true });
  });

  it('the police server caches the evidence its agent opens; a police export lives on the police server only', async () => {
    const { guest, roomId } = await openAndTriage(d, '92100', 'police');
    expect(
      await command(agent, d.result.forces.police.queueRoomId, { action: 'claim', conversation: roomId }),
    ).toMatchObject({ ok: true });
    const input = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#642' } })
      .jpeg()
      .toBuffer();
    const accepted = await postEvidence(guest, input);
    expect(accepted.status).toBe(201);
    const hash = accepted.sha256!;
    const image = await waitFor('the image in the room', async () =>
      (await timeline(guest, roomId)).find((event) => event.content.msgtype === 'm.image'),
    );
    const evidenceMxc = String(image.content.url);
    expect(serverOf(evidenceMxc)).toBe(d.result.servers.public.serverName);
    for (const role of ['police', 'gendarmerie'] as const)
      expect(mediaCopies(d, role, evidenceMxc)).toEqual({ local: 0, remote: 0 });
    // The agent joins over federation and opens the image through their own server, as their client does: the
    // police server fetches it from the public server and keeps a copy in its remote-media cache.
    await joinRoom(agent, roomId, d.result.servers.public.serverName);
    await waitFor('the image on the police server', async () =>
      (await timeline(agent, roomId)).some((event) => event.content.url === evidenceMxc) ? true : undefined,
    );
    const viewed = await waitFor('the image served by the police server', async () => {
      const answer = await downloadAs(agent, evidenceMxc);
      return answer.status === 200 ? answer : undefined;
    });
    expect(sha256(viewed.bytes)).toBe(hash);
    expect(mediaCopies(d, 'police', evidenceMxc)).toEqual({ local: 0, remote: 1 });
    conversation = { guest, roomId, evidenceMxc, evidenceSha256: hash };

    policeExport = await exportAs(policeSupervisor, 'police', roomId);
    expect(policeExport.doc.evidence).toEqual([expect.objectContaining({ sha256: hash, verified: true })]);
    expectFilesOnlyOn(policeExport, 'police');
  });

  it('after a cold transfer, a gendarmerie export lives on the gendarmerie server only; the police one stays', async () => {
    if (!conversation || !policeExport) throw new Error('needs the conversation and export of the previous test');
    const { guest, roomId } = conversation;
    await transferToGendarmerie(agent, gendarme, roomId);
    await joinRoom(gendarme, roomId, d.result.servers.public.serverName);
    const gendarmeText = `Gendarmerie, je prends le relais (${randomUUID()}).`;
    expect((await send(gendarme, roomId, gendarmeText)).status).toBe(200);
    await waitFor('the gendarme message on the public server', async () =>
      (await texts(guest, roomId)).includes(gendarmeText) ? true : undefined,
    );

    gendarmerieExport = await exportAs(gendarmerieSupervisor, 'gendarmerie', roomId);
    // The whole conversation, read from the public server, with the evidence the police saw.
    expect(gendarmerieExport.doc.events.map((event) => event.content.body)).toContain(gendarmeText);
    expect(gendarmerieExport.doc.evidence).toEqual([
      expect.objectContaining({ sha256: conversation.evidenceSha256, verified: true }),
    ]);
    await waitFor('the export audited by the gendarmerie', async () =>
      (await auditOf('gendarmerie', roomId)).some((entry) => entry.action === 'export') ? true : undefined,
    );
    expectFilesOnlyOn(gendarmerieExport, 'gendarmerie');
    for (const role of ['public', 'police'] as const) {
      expect(eventsContaining(d, role, gendarmerieExport.documentSha256)).toBe(0);
      expect(await known(d, role, d.result.forces.gendarmerie.supervisorsRoomId)).toBe(false);
    }
    expectFilesOnlyOn(policeExport, 'police');
  });

  it('a legal hold placed by the police before a transfer: the gendarmerie closes, the retention record is theirs', async () => {
    const { roomId } = await openAndTriage(d, '92100', 'police');
    const queue = d.result.forces.police.queueRoomId;
    expect(await command(agent, queue, { action: 'claim', conversation: roomId })).toMatchObject({ ok: true });
    const posted = await exportAs(policeSupervisor, 'police', roomId);
    expect(
      await command(policeSupervisor, queue, {
        action: 'legal_hold',
        conversation: roomId,
        hold: true,
        reason: 'réquisition du parquet',
      }),
    ).toMatchObject({ ok: true });
    await transferToGendarmerie(agent, gendarme, roomId);
    expect(
      await command(gendarme, d.result.forces.gendarmerie.queueRoomId, {
        action: 'close',
        conversation: roomId,
        outcome: 'none',
      }),
    ).toMatchObject({ ok: true });
    // The hold is in the police supervisors room (police server), the retention record in the gendarmerie's.
    const stateOf = async (session: ServerSession, force: Force) =>
      (
        await call<Array<{ type: string; state_key: string; content: Record<string, unknown> }>>(
          session.baseUrl,
          'GET',
          `/_matrix/client/v3/rooms/${encodeURIComponent(d.result.forces[force].supervisorsRoomId)}/state`,
          { token: session.accessToken },
        )
      ).body.filter((event) => event.state_key === roomId);
    expect((await stateOf(policeSupervisor, 'police')).map((event) => event.type)).toContain(SafetyEventType.LegalHold);
    await waitFor('the retention record with the gendarmerie', async () =>
      (await stateOf(gendarmerieSupervisor, 'gendarmerie')).some((event) => event.type === SafetyEventType.Retention)
        ? true
        : undefined,
    );
    held = { roomId, posted };
  });

  it('retention deletes every copy: the room on the three servers, both exports, the evidence and its cached copy; the held one stays', async () => {
    if (!conversation || !policeExport || !gendarmerieExport || !held) throw new Error('needs the previous tests');
    const { roomId, evidenceMxc } = conversation;
    expect(
      await command(gendarme, d.result.forces.gendarmerie.queueRoomId, {
        action: 'close',
        conversation: roomId,
        outcome: 'none',
      }),
    ).toMatchObject({ ok: true });
    await waitFor(
      'the room purged on every server',
      async () => {
        for (const role of ROLES) if (await known(d, role, roomId)) return undefined;
        return true;
      },
      (RETENTION_SECONDS + 60) * 1000,
    );
    for (const role of ROLES) expect(rowsInDatabase(d, role, roomId)).toBe(0);

    // Each export is taken back by its own force, on its own server: audited, file messages redacted, media gone.
    for (const [force, posted, supervisor] of [
      ['police', policeExport, policeSupervisor],
      ['gendarmerie', gendarmerieExport, gendarmerieSupervisor],
    ] as const) {
      await waitFor(
        `the ${force} export taken back`,
        async () =>
          (await auditOf(force, roomId)).some(
            (entry) =>
              entry.action === 'export_removed' &&
              (entry.details as { export?: string }).export === posted.exportId &&
              (entry.details as { reason?: string }).reason === 'conversation_deleted',
          )
            ? true
            : undefined,
        60_000,
      );
      const fileIds = new Set(posted.files.map((file) => file.event_id));
      const after = (await timeline(supervisor, d.result.forces[force].supervisorsRoomId)).filter((event) =>
        fileIds.has(event.event_id),
      );
      expect(after.map((event) => event.content)).toEqual([{}, {}]);
      for (const file of posted.files) {
        expect((await downloadAs(supervisor, String(file.content.url))).status).toBe(404);
        for (const role of ROLES)
          expect(mediaCopies(d, role, String(file.content.url))).toEqual({ local: 0, remote: 0 });
      }
    }
    // The evidence: deleted on the public server, and the police server's cached copy with it.
    for (const role of ROLES) expect(mediaCopies(d, role, evidenceMxc)).toEqual({ local: 0, remote: 0 });

    // The held conversation, closed before the first one, is still there, and so is its police export.
    expect(await known(d, 'public', held.roomId)).toBe(true);
    expectFilesOnlyOn(held.posted, 'police');
    expect((await auditOf('police', held.roomId)).map((entry) => entry.action)).not.toContain('export_removed');
    expect((await auditOf('gendarmerie', held.roomId)).map((entry) => entry.action)).not.toContain('delete');
  }, 240_000);
});
