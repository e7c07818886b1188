import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { AuditLog } from '../../../bot/src/audit/audit-log.ts';
import { KeyedQueue } from '../../../bot/src/runtime/locks.ts';
import { Matrix } from '../../../bot/src/matrix/client.ts';
import { readAuditRoom, verifyChain } from '../../../bot/src/audit/verify.ts';
import {
  liftLegalHold,
  putLegalHold,
  RetentionEventType,
  startRetention,
  sweepRetention,
  type RetentionCandidate,
} from '../../../bot/src/retention/purge.ts';
import type { StaffLookup } from '../../../bot/src/runtime/safety.ts';
import { DAY } from '../../../bot/src/runtime/safety.ts';
import {
  botHomeserver,
  createAuditLikeRoom,
  createConversationLikeRoom,
  matrixRequest,
  registerGuest,
  stack,
} from './support.ts';
import { waitUntil } from '../../support/wait.ts';

const staff: StaffLookup = (userId) => {
  const account = stack().demo.find((candidate) => candidate.userId === userId);
  return account ? { force: account.force, role: account.role, active: true } : undefined;
};

describe('retention that really deletes (real Synapse)', () => {
  it('deletes a closed room after its period, keeps a held one, deletes it once the hold is lifted', async () => {
    const hs = botHomeserver();
    const recordRoomId = stack().forces.police.supervisorsRoomId;
    const supervisor = stack().demo.find(
      (account) => account.force === 'police' && account.role === 'supervisor',
    )!.userId;
    const auditRooms = { police: await createAuditLikeRoom(hs), gendarmerie: await createAuditLikeRoom(hs) };
    const audit = new AuditLog(
      new Matrix(stack().baseUrl, stack().bot.accessToken, hs.userId),
      auditRooms,
      new KeyedQueue(),
    );
    await audit.load();
    const deps = { matrix: hs, audit, staff, now: Date.now };

    const guest = await registerGuest();
    const plain = await createConversationLikeRoom(hs, guest, ['bonjour', "j'ai besoin d'aide", 'merci']);
    const held = await createConversationLikeRoom(hs, await registerGuest(), ['bonjour']);
    // Evidence posted by the bot (guests cannot upload): the room's media must go with it.
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c00' } })
      .png()
      .toBuffer();
    const mxc = await hs.upload(png, 'image/png', 'preuve.png');
    await hs.request(
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(plain.roomId)}/send/m.room.message/ev${Date.now()}`,
      {
        body: { msgtype: 'm.image', body: 'preuve.png', url: mxc, info: { mimetype: 'image/png', size: png.length } },
      },
    );
    expect((await hs.download(mxc)).equals(png)).toBe(true);

    const closedAt = Date.now();
    const periodMs = 3000;
    for (const roomId of [plain.roomId, held.roomId])
      await startRetention(hs, { roomId, recordRoomId, closedAt, periodMs });
    expect(
      await hs.request('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(plain.roomId)}/state/m.room.retention/`),
    ).toEqual({ max_lifetime: periodMs });
    await putLegalHold(deps, {
      force: 'police',
      recordRoomId,
      roomId: held.roomId,
      supervisor,
      reason: 'Réquisition du parquet',
      at: Date.now(),
    });
    // Synapse's own purge jobs know nothing of holds: the held room has no lifetime any more, the other keeps its.
    const lifetime = (roomId: string) =>
      hs.request('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.retention/`);
    expect(await lifetime(held.roomId)).toEqual({});
    expect(await lifetime(plain.roomId)).toEqual({ max_lifetime: periodMs });
    // Its clock started again while held (an administrator's `retention set`): still no lifetime.
    await startRetention(hs, { roomId: held.roomId, recordRoomId, closedAt, periodMs });
    expect(await lifetime(held.roomId)).toEqual({});

    const candidates = async (): Promise<RetentionCandidate[]> =>
      [plain.roomId, held.roomId].map((roomId) => ({ roomId, force: 'police', state: 'closed', closedAt }));
    const retention = {
      recordRooms: { police: recordRoomId, gendarmerie: stack().forces.gendarmerie.supervisorsRoomId },
      candidates,
      defaultPeriodMs: 30 * DAY,
    };

    const early = await sweepRetention(deps, retention);
    expect(early).toMatchObject({ deleted: [], held: 1, waiting: 1, failed: [] });

    // Swept again until the period has ended and a sweep acts on the plain room (or fails).
    const sweep = await waitUntil(
      'a sweep after the retention period that deletes the plain room',
      async () => {
        const run = await sweepRetention(deps, retention);
        return run.deleted.length > 0 || run.failed.length > 0 ? run : undefined;
      },
      { timeoutMs: periodMs + 30_000, intervalMs: 300 },
    );
    expect(sweep.failed).toEqual([]);
    expect(sweep.deleted.map((result) => [result.roomId, result.outcome, result.mediaDeleted])).toEqual([
      [plain.roomId, 'deleted', 1],
    ]);
    expect(sweep.held).toBe(1);
    process.stderr.write(`[safety] room deleted with purge in ${sweep.deleted[0]!.durationMs} ms\n`);

    // The admin API no longer knows the room; its messages, its events and its media are gone.
    expect(
      (
        await matrixRequest('GET', `/_synapse/admin/v1/rooms/${encodeURIComponent(plain.roomId)}`, {
          token: stack().bot.accessToken,
        })
      ).status,
    ).toBe(404);
    const adminMessages = await matrixRequest<{ chunk?: unknown[] }>(
      'GET',
      `/_synapse/admin/v1/rooms/${encodeURIComponent(plain.roomId)}/messages?dir=b&limit=100`,
      { token: stack().bot.accessToken },
    );
    expect(
      adminMessages.status === 404 || (adminMessages.body.chunk ?? []).length === 0,
      `admin messages answered ${adminMessages.status}`,
    ).toBe(true);
    for (const eventId of plain.eventIds) {
      const event = await matrixRequest(
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(plain.roomId)}/event/${encodeURIComponent(eventId)}`,
        { token: stack().bot.accessToken },
      );
      expect(event.status).not.toBe(200);
    }
    const guestView = await matrixRequest(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(plain.roomId)}/messages?dir=b&limit=100`,
      { token: guest.accessToken },
    );
    expect(guestView.status).toBe(403);
    await expect(hs.download(mxc)).rejects.toMatchObject({ statusCode: 404 });
    // The room ID is blocked: nobody can bring it back.
    expect(
      (
        await matrixRequest<{ block: boolean }>(
          'GET',
          `/_synapse/admin/v1/rooms/${encodeURIComponent(plain.roomId)}/block`,
          { token: stack().bot.accessToken },
        )
      ).body.block,
    ).toBe(true);

    // The held room is still there, with its messages.
    expect(
      (
        await matrixRequest('GET', `/_synapse/admin/v1/rooms/${encodeURIComponent(held.roomId)}`, {
          token: stack().bot.accessToken,
        })
      ).status,
    ).toBe(200);
    const record = await hs.request<{ deletedAt?: number }>(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(recordRoomId)}/state/${RetentionEventType.Retention}/${encodeURIComponent(plain.roomId)}`,
    );
    expect(typeof record.deletedAt).toBe('number');
    // A deleted room is not deleted twice.
    expect((await sweepRetention(deps, retention)).deleted).toEqual([]);

    // Lifting the hold: the next sweep deletes it.
    await expect(
      liftLegalHold(deps, {
        force: 'police',
        recordRoomId,
        roomId: held.roomId,
        supervisor: stack().demo.find((a) => a.force === 'gendarmerie' && a.role === 'supervisor')!.userId,
        at: Date.now(),
      }),
    ).rejects.toMatchObject({ code: 'WRONG_FORCE' });
    await liftLegalHold(deps, {
      force: 'police',
      recordRoomId,
      roomId: held.roomId,
      supervisor,
      at: Date.now(),
    });
    // Released: the room has its lifetime back.
    expect(await lifetime(held.roomId)).toEqual({ max_lifetime: periodMs });
    const after = await sweepRetention(deps, retention);
    expect(after.deleted.map((result) => result.roomId)).toEqual([held.roomId]);
    expect(
      (
        await matrixRequest('GET', `/_synapse/admin/v1/rooms/${encodeURIComponent(held.roomId)}`, {
          token: stack().bot.accessToken,
        })
      ).status,
    ).toBe(404);

    // Every hold and deletion is in the audit chain, and the chain holds.
    const chain = await readAuditRoom(hs, auditRooms.police);
    expect(chain.map((item) => (item.record as { action: string }).action)).toEqual([
      'legal_hold',
      'delete',
      'legal_hold_lift',
      'delete',
    ]);
    expect(verifyChain(chain, { trustedSender: hs.userId }).ok).toBe(true);
  });
});
