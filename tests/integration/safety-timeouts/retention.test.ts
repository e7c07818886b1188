/**
 * Retention through the running bot, with short periods: a closed conversation deleted with purge (a legal hold
 * keeps another), a disclosure room deleted, the staff rooms' policy and what a deleted conversation leaves, an
 * export taken back.
 */
import { describe, expect, it } from 'vitest';
import { matrixRequest, type Session } from '../../support/matrix.ts';
import { command, waitUntil } from '../../support/conversation.ts';
import {
  auditActions,
  botToken,
  earlierVersions,
  entry,
  hs,
  lastRetentionSweepAt,
  login,
  mediaStatus,
  police,
  queuedWithPolice,
  restartBot,
  roomKnownToAdmin,
  supervisorsState,
  useSafetyStack,
  type ServedEvent,
} from './stack.ts';

useSafetyStack();

interface ExportDocument {
  guest?: string;
  events: Array<{ sender: string; role: string }>;
}

/**
 * Exports a conversation and reads back its JSON file. The stack takes exports back after 3 s: a file already gone
 * when read is exported again (a new command), so the read is of an export that exists.
 */
async function exportDocument(supervisor: Session, roomId: string): Promise<ExportDocument> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = new Set((await supervisorsStateAll('fr.espace-mineurs.export')).map((event) => event.state_key));
    expect(
      await command(supervisor, police().queueRoomId, { action: 'export', conversation: roomId }, { baseUrl: hs() }),
    ).toMatchObject({ ok: true });
    const record = (await supervisorsStateAll('fr.espace-mineurs.export')).find(
      (event) => !before.has(event.state_key) && event.content.conversation === roomId,
    );
    expect(record).toBeDefined();
    const [json] = record!.content.files as Array<{ mxc: string }>;
    const [, server, id] = /^mxc:\/\/([^/]+)\/(.+)$/.exec(json!.mxc)!;
    const response = await fetch(`${hs()}/_matrix/client/v1/media/download/${server}/${id}`, {
      headers: { authorization: `Bearer ${supervisor.accessToken}` },
    });
    if (response.status === 200) return (await response.json()) as ExportDocument;
    await response.arrayBuffer();
  }
  throw new Error('every export was taken back before it could be read');
}

async function supervisorsStateAll(type: string): Promise<ServedEvent[]> {
  const state = await matrixRequest<ServedEvent[]>(
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(police().supervisorsRoomId)}/state`,
    { token: botToken(), baseUrl: hs() },
  );
  return state.body.filter((event) => event.type === type);
}

describe('retention through the running bot', () => {
  it('deletes a closed conversation with purge once its period ends; a legal hold keeps another; the guest is locked', async () => {
    const supervisor = await login('pn-superviseur-1');
    const agent = await login('pn-agent-1');
    const deleted = await queuedWithPolice();
    const held = await queuedWithPolice();
    const queue = police().queueRoomId;
    const options = { baseUrl: hs() };
    expect(
      await command(
        agent,
        queue,
        { action: 'legal_hold', conversation: held.roomId, hold: true, reason: 'réquisition du parquet' },
        options,
      ),
    ).toMatchObject({ ok: false, code: 'NOT_SUPERVISOR' });
    expect(
      await command(
        supervisor,
        queue,
        { action: 'legal_hold', conversation: held.roomId, hold: true, reason: 'réquisition du parquet' },
        options,
      ),
    ).toMatchObject({ ok: true });
    for (const { roomId } of [deleted, held])
      expect(
        await command(supervisor, queue, { action: 'close', conversation: roomId, outcome: 'none' }, options),
      ).toMatchObject({ ok: true });
    const retention = await matrixRequest<{ max_lifetime?: number }>(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(deleted.roomId)}/state/m.room.retention/`,
      { token: botToken(), baseUrl: hs() },
    );
    expect(retention.body.max_lifetime).toBe(4000);

    await waitUntil(
      'the room deleted with purge',
      async () => ((await roomKnownToAdmin(deleted.roomId)) ? undefined : true),
      30_000,
    );
    await waitUntil('the deletion audited', async () =>
      (await auditActions(deleted.roomId)).includes('delete') ? true : undefined,
    );
    await waitUntil('the entry rewritten without its triage', async () =>
      (await entry(deleted.roomId))?.triage === undefined ? true : undefined,
    );
    // The guest token no longer works (locked, then deactivated).
    await waitUntil('the guest locked', async () => {
      const whoami = await matrixRequest('GET', '/_matrix/client/v3/account/whoami', {
        token: deleted.young.accessToken,
        baseUrl: hs(),
      });
      return whoami.status === 401 ? true : undefined;
    });

    // The held one stays, past its period, through a whole retention sweep begun after the other was deleted.
    const seen = Date.now();
    const first = await waitUntil('a retention sweep to finish after the deletion', async () =>
      (await lastRetentionSweepAt()) > seen ? lastRetentionSweepAt() : undefined,
    );
    await waitUntil('the next retention sweep to finish', async () =>
      (await lastRetentionSweepAt()) > first ? true : undefined,
    );
    expect(await roomKnownToAdmin(held.roomId)).toBe(true);
    await waitUntil('the hold audited', async () =>
      (await auditActions(held.roomId)).includes('legal_hold') ? true : undefined,
    );
    // Lifted: it goes at the next sweep.
    expect(
      await command(
        supervisor,
        queue,
        { action: 'legal_hold', conversation: held.roomId, hold: false, reason: 'procédure close' },
        options,
      ),
    ).toMatchObject({ ok: true });
    await waitUntil(
      'the released room deleted',
      async () => ((await roomKnownToAdmin(held.roomId)) ? undefined : true),
      30_000,
    );
    await waitUntil('the lift and the deletion audited', async () => {
      const actions = await auditActions(held.roomId);
      return actions.includes('legal_hold_lift') && actions.includes('delete') ? true : undefined;
    });
  });

  it('deletes a disclosure room (it holds connection IPs) with purge once its period ends', async () => {
    const agent = await login('pn-agent-2');
    const supervisor = await login('pn-superviseur-1');
    const { roomId } = await queuedWithPolice();
    const queue = police().queueRoomId;
    const options = { baseUrl: hs() };
    expect(
      await command(
        agent,
        queue,
        { action: 'disclosure_request', conversation: roomId, reason: 'Danger immédiat signalé par le jeune.' },
        options,
      ),
    ).toMatchObject({ ok: true });
    const pending = await waitUntil('the pending request', async () => {
      const state = await matrixRequest<Array<{ type: string; state_key: string; content: Record<string, unknown> }>>(
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(police().supervisorsRoomId)}/state`,
        { token: supervisor.accessToken, baseUrl: hs() },
      );
      return state.body.find(
        (event) =>
          event.type === 'fr.espace-mineurs.disclosure' &&
          event.content.conversation === roomId &&
          event.content.status === 'pending',
      );
    });
    expect(
      await command(
        supervisor,
        queue,
        { action: 'disclosure_decision', conversation: roomId, disclosure: pending.state_key, decision: 'approve' },
        options,
      ),
    ).toMatchObject({ ok: true });
    const disclosureState = () =>
      matrixRequest<{ disclosureRoom?: string; disclosureRoomDeletedAt?: number }>(
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(police().supervisorsRoomId)}/state/fr.espace-mineurs.disclosure/${pending.state_key}`,
        { token: supervisor.accessToken, baseUrl: hs() },
      );
    const disclosureRoom = await waitUntil(
      'the disclosure room',
      async () => (await disclosureState()).body.disclosureRoom,
    );
    const retention = await matrixRequest<{ max_lifetime?: number }>(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(disclosureRoom)}/state/m.room.retention/`,
      { token: botToken(), baseUrl: hs() },
    );
    expect(retention.body.max_lifetime).toBe(3000);
    await waitUntil(
      'the disclosure room deleted with purge',
      async () => ((await roomKnownToAdmin(disclosureRoom)) ? undefined : true),
      30_000,
    );
    await waitUntil('the deletion recorded on the request', async () =>
      (await disclosureState()).body.disclosureRoomDeletedAt !== undefined ? true : undefined,
    );
    // The requester can no longer read what was disclosed.
    const reread = await matrixRequest(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(disclosureRoom)}/messages?dir=b&limit=10`,
      { token: agent.accessToken, baseUrl: hs() },
    );
    expect(reread.status).not.toBe(200);
  });

  it('the queue and supervisors rooms carry a retention policy; a deleted conversation leaves no reason behind in the supervisors room', async () => {
    for (const roomId of [police().queueRoomId, police().supervisorsRoomId]) {
      const policy = await matrixRequest<{ max_lifetime?: number }>(
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.retention/`,
        { token: botToken(), baseUrl: hs() },
      );
      expect(policy.body.max_lifetime).toBe(86_400_000);
    }
    const agent = await login('pn-agent-2');
    const supervisor = await login('pn-superviseur-1');
    const { roomId } = await queuedWithPolice();
    const queue = police().queueRoomId;
    const options = { baseUrl: hs() };
    const requested = await command(
      agent,
      queue,
      { action: 'disclosure_request', conversation: roomId, reason: 'Le jeune dit que son beau-père le menace.' },
      options,
    );
    expect(requested).toMatchObject({ ok: true });
    const id = String(requested.ref);
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    expect(
      await command(
        supervisor,
        queue,
        {
          action: 'disclosure_decision',
          conversation: roomId,
          disclosure: id,
          decision: 'refuse',
          comment: 'Pas de danger immédiat décrit par Léa.',
        },
        options,
      ),
    ).toMatchObject({ ok: true });
    expect(
      await command(
        supervisor,
        queue,
        { action: 'legal_hold', conversation: roomId, hold: true, reason: 'Plainte de la mère de Léa' },
        options,
      ),
    ).toMatchObject({ ok: true });
    expect(
      await command(supervisor, queue, { action: 'close', conversation: roomId, outcome: 'complaint' }, options),
    ).toMatchObject({ ok: true });
    expect(
      await command(
        supervisor,
        queue,
        { action: 'legal_hold', conversation: roomId, hold: false, reason: 'procédure close' },
        options,
      ),
    ).toMatchObject({ ok: true });

    await waitUntil(
      'the room deleted with purge',
      async () => ((await roomKnownToAdmin(roomId)) ? undefined : true),
      30_000,
    );
    await waitUntil(
      'its traces removed',
      async () =>
        (await supervisorsState<{ scrubbedAt?: number }>('fr.espace-mineurs.retention', roomId))?.scrubbedAt !==
        undefined
          ? true
          : undefined,
      20_000,
    );

    const request = await supervisorsState<Record<string, unknown>>('fr.espace-mineurs.disclosure', id);
    expect(request).toMatchObject({ id, status: 'refused', reason: '' });
    expect(request).not.toHaveProperty('refusalReason');
    const hold = await supervisorsState<Record<string, unknown>>('fr.espace-mineurs.legal_hold', roomId);
    expect(hold).toMatchObject({ active: false, reason: '' });
    for (const [type, key] of [
      ['fr.espace-mineurs.disclosure', id],
      ['fr.espace-mineurs.legal_hold', roomId],
    ] as const) {
      const versions = await earlierVersions(police().supervisorsRoomId, type, key);
      expect(versions.length).toBeGreaterThanOrEqual(2);
      for (const version of versions) {
        expect(version.unsigned?.redacted_because, `${type} ${version.event_id}`).toBeDefined();
        expect(version.content).toEqual({});
      }
    }
    // The audit keeps who did what, never the reasons.
    const actions = await waitUntil('the deletion audited', async () => {
      const found = await auditActions(roomId);
      return found.includes('delete') ? found : undefined;
    });
    expect(actions).toEqual(
      expect.arrayContaining(['disclosure_request', 'disclosure_refuse', 'legal_hold', 'legal_hold_lift', 'delete']),
    );
  });

  it('an export is taken back after its period: its file messages redacted, its files deleted from the media store, audited', async () => {
    const supervisor = await login('pn-superviseur-1');
    const { roomId } = await queuedWithPolice();
    expect(
      await command(supervisor, police().queueRoomId, { action: 'export', conversation: roomId }, { baseUrl: hs() }),
    ).toMatchObject({ ok: true });
    const state = await matrixRequest<ServedEvent[]>(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(police().supervisorsRoomId)}/state`,
      { token: botToken(), baseUrl: hs() },
    );
    const record = state.body.find(
      (event) => event.type === 'fr.espace-mineurs.export' && event.content.conversation === roomId,
    );
    expect(record).toBeDefined();
    const files = record!.content.files as Array<{ eventId: string; mxc: string }>;
    expect(files).toHaveLength(2);
    // The supervisor can download both while the export is available (if the sweep has not already run).
    const removed = () => supervisorsState<{ removedAt?: number }>('fr.espace-mineurs.export', record!.state_key!);
    if ((await removed())?.removedAt === undefined)
      for (const file of files) expect([200, 404]).toContain(await mediaStatus(file.mxc, supervisor.accessToken));

    await waitUntil(
      'the export taken back',
      async () => ((await removed())?.removedAt !== undefined ? true : undefined),
      20_000,
    );
    for (const file of files) {
      expect(await mediaStatus(file.mxc, supervisor.accessToken)).toBe(404);
      const message = await matrixRequest<ServedEvent>(
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(police().supervisorsRoomId)}/event/${encodeURIComponent(file.eventId)}`,
        { token: supervisor.accessToken, baseUrl: hs() },
      );
      expect(message.body.unsigned?.redacted_because).toBeDefined();
      expect(message.body.content).toEqual({});
    }
    await waitUntil('the removal audited', async () =>
      (await auditActions(roomId)).includes('export_removed') ? true : undefined,
    );
  });
  it('a past conversation (closed, its guest ended) is rebuilt from its entry after a restart, then deleted on time without a trace of its guest', async () => {
    const supervisor = await login('pn-superviseur-1');
    const past = await queuedWithPolice();
    const queue = police().queueRoomId;
    const options = { baseUrl: hs() };
    // Held, so that it outlives its period across the restart; lifted once the new bot runs.
    expect(
      await command(
        supervisor,
        queue,
        { action: 'legal_hold', conversation: past.roomId, hold: true, reason: 'réquisition du parquet' },
        options,
      ),
    ).toMatchObject({ ok: true });
    expect(
      await command(supervisor, queue, { action: 'close', conversation: past.roomId, outcome: 'none' }, options),
    ).toMatchObject({ ok: true });
    const ended = await waitUntil('the guest ended after its grace period', async () => {
      const current = await entry(past.roomId);
      return current?.guestEndedAt !== undefined ? current : undefined;
    });
    // The queue room is the force's (its own server when federated): no entry version names the guest.
    expect(JSON.stringify(ended)).not.toContain(past.young.userId);
    for (const version of await earlierVersions(queue, 'fr.espace-mineurs.conversation', past.roomId))
      expect(JSON.stringify(version.content)).not.toContain(past.young.userId);

    await restartBot();
    expect(await roomKnownToAdmin(past.roomId)).toBe(true);
    // Rebuilt without reading its room, the conversation still exports with its young person named and labelled.
    const exported = await exportDocument(supervisor, past.roomId);
    expect(exported.guest).toBe(past.young.userId);
    expect(exported.events.some((event) => event.sender === past.young.userId && event.role === 'jeune')).toBe(true);
    expect(
      await command(
        supervisor,
        queue,
        { action: 'legal_hold', conversation: past.roomId, hold: false, reason: 'procédure close' },
        options,
      ),
    ).toMatchObject({ ok: true });
    await waitUntil(
      'the released room deleted',
      async () => ((await roomKnownToAdmin(past.roomId)) ? undefined : true),
      30_000,
    );
    await waitUntil('the entry rewritten without its triage', async () => {
      const current = await entry(past.roomId);
      return current && current.triage === undefined ? true : undefined;
    });
    expect(await auditActions(past.roomId)).toEqual(expect.arrayContaining(['legal_hold_lift', 'delete']));
  });
});
