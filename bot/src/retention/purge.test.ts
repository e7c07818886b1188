import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../audit/chain.ts';
import { FakeHomeserver, notFound } from '../matrix/fake-homeserver.test-support.ts';
import {
  deleteConversation,
  deleteRoomWithPurge,
  planRetention,
  putLegalHold,
  RetentionEventType,
  sweepRetention,
  type RetentionCandidate,
} from './purge.ts';
import { DAY, parseDuration, SafetyError, type StaffLookup } from '../runtime/safety.ts';
import { readConversationEntries } from './entries.ts';

const NOW = 1_800_000_000_000;

function candidate(roomId: string, extra: Partial<RetentionCandidate>): RetentionCandidate {
  return { roomId, force: 'police', state: 'closed', closedAt: NOW - 10 * DAY, ...extra };
}

describe('planRetention', () => {
  it('makes due only ended, undeleted, unheld conversations whose period ran out', () => {
    const plan = planRetention(
      [
        candidate('!old', {}),
        candidate('!abandoned', { state: 'abandoned', closedAt: NOW - 31 * DAY }),
        candidate('!recent', { closedAt: NOW - DAY }),
        candidate('!open', { state: 'assigned', closedAt: undefined }),
        candidate('!queued-with-date', { state: 'queued' }),
        candidate('!held', {}),
        candidate('!short', { closedAt: NOW - 5000, periodMs: 3000 }),
        candidate('!gone', { deletedAt: NOW - DAY }),
        candidate('!exactly', { closedAt: NOW - 7 * DAY }),
      ],
      new Set(['!held']),
      NOW,
      7 * DAY,
    );
    expect(plan.due.map((item) => item.roomId)).toEqual(['!abandoned', '!old', '!short', '!exactly']);
    expect(plan.held.map((item) => item.roomId)).toEqual(['!held']);
    expect(plan.waiting.map((item) => [item.roomId, item.dueAt])).toEqual([['!recent', NOW + 6 * DAY]]);
  });
});

describe('parseDuration', () => {
  it('reads units and refuses anything else', () => {
    expect(parseDuration('90d')).toBe(90 * DAY);
    expect(parseDuration('3s')).toBe(3000);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('1.5d')).toBeUndefined();
    expect(parseDuration('-1d')).toBeUndefined();
  });
});

describe('deleteRoomWithPurge', () => {
  it('deletes with purge and block, polls until complete, deletes media, then checks the room is gone', async () => {
    let statusCalls = 0;
    let deleted = false;
    const hs = new FakeHomeserver()
      .on('GET /_synapse/admin/v1/rooms/', () => (deleted ? notFound() : { room_id: '!r:test' }))
      .on('GET /_synapse/admin/v1/room/', () => ({ local: ['mxc://test/abc', 'mxc://test/def'], remote: [] }))
      .on('DELETE /_synapse/admin/v2/rooms/', () => ({ delete_id: 'del1' }))
      .on('GET /_synapse/admin/v2/rooms/delete_status/del1', () => {
        statusCalls++;
        if (statusCalls < 3) return { status: statusCalls === 1 ? 'scheduled' : 'active' };
        deleted = true;
        return { status: 'complete' };
      })
      .on('DELETE /_synapse/admin/v1/media/', () => ({}));
    const result = await deleteRoomWithPurge(hs, '!r:test', { sleep: async () => {} });
    expect(result).toMatchObject({ outcome: 'deleted', deleteId: 'del1', mediaDeleted: 2 });
    expect(hs.calls.find((call) => call.method === 'DELETE' && call.path.includes('/v2/rooms/'))?.body).toEqual({
      purge: true,
      block: true,
    });
    expect(
      hs.calls.filter((call) => call.path.startsWith('/_synapse/admin/v1/media/')).map((call) => call.path),
    ).toEqual(['/_synapse/admin/v1/media/test/abc', '/_synapse/admin/v1/media/test/def']);
    expect(statusCalls).toBe(3);
    // No other server's media in the room: the remote-media cache is left alone.
    expect(hs.calls.some((call) => call.path.startsWith('/_synapse/admin/v1/purge_media_cache'))).toBe(false);
    expect(result.remoteCacheDeleted).toBeUndefined();
  });

  it("empties the remote-media cache when the room referenced another server's media (a force server's copy)", async () => {
    let deleted = false;
    const hs = new FakeHomeserver()
      .on('GET /_synapse/admin/v1/rooms/', () => (deleted ? notFound() : { room_id: '!r:public' }))
      .on('GET /_synapse/admin/v1/room/', () => ({ local: [], remote: ['mxc://public/evidence'] }))
      .on('DELETE /_synapse/admin/v2/rooms/', () => ({ delete_id: 'del1' }))
      .on('GET /_synapse/admin/v2/rooms/delete_status/del1', () => {
        deleted = true;
        return { status: 'complete' };
      })
      .on('POST /_synapse/admin/v1/purge_media_cache', () => ({ deleted: 1 }));
    const result = await deleteRoomWithPurge(hs, '!r:public', { sleep: async () => {} });
    expect(result).toMatchObject({ outcome: 'deleted', mediaDeleted: 0, remoteCacheDeleted: 1 });
    const purge = hs.calls.filter((call) => call.path.startsWith('/_synapse/admin/v1/purge_media_cache'));
    expect(purge).toHaveLength(1);
    // After the room's deletion, never before it (nothing can fetch it again through the room).
    expect(hs.calls.indexOf(purge[0]!)).toBeGreaterThan(
      hs.calls.findIndex((call) => call.method === 'DELETE' && call.path.includes('/v2/rooms/')),
    );
  });

  it('says when Synapse fails, times out, or still knows the room', async () => {
    const base = () =>
      new FakeHomeserver()
        .on('GET /_synapse/admin/v1/rooms/', () => ({ room_id: '!r:test' }))
        .on('GET /_synapse/admin/v1/room/', () => ({ local: [] }))
        .on('DELETE /_synapse/admin/v2/rooms/', () => ({ delete_id: 'd' }));
    await expect(
      deleteRoomWithPurge(
        base().on('GET /_synapse/admin/v2/rooms/delete_status/', () => ({ status: 'failed' })),
        '!r:test',
        { sleep: async () => {} },
      ),
    ).rejects.toMatchObject({ code: 'PURGE_FAILED' });
    let clock = 0;
    await expect(
      deleteRoomWithPurge(
        base().on('GET /_synapse/admin/v2/rooms/delete_status/', () => ({ status: 'active' })),
        '!r:test',
        { sleep: async () => {}, now: () => (clock += 1000), timeoutMs: 5000 },
      ),
    ).rejects.toMatchObject({ code: 'PURGE_TIMEOUT' });
    await expect(
      deleteRoomWithPurge(
        base().on('GET /_synapse/admin/v2/rooms/delete_status/', () => ({ status: 'complete' })),
        '!r:test',
        { sleep: async () => {} },
      ),
    ).rejects.toMatchObject({ code: 'ROOM_STILL_PRESENT' });
  });

  it('starts a new task when one fails, the last one with force_purge', async () => {
    let tasks = 0;
    let deleted = false;
    const hs = new FakeHomeserver()
      .on('GET /_synapse/admin/v1/rooms/', () => (deleted ? notFound() : { room_id: '!r:test' }))
      .on('GET /_synapse/admin/v1/room/', () => ({ local: [] }))
      .on('DELETE /_synapse/admin/v2/rooms/', () => ({ delete_id: `d${++tasks}` }))
      .on('GET /_synapse/admin/v2/rooms/delete_status/d3', () => {
        deleted = true;
        return { status: 'complete' };
      })
      .on('GET /_synapse/admin/v2/rooms/delete_status/', () => ({ status: 'failed' }));
    expect(await deleteRoomWithPurge(hs, '!r:test', { sleep: async () => {} })).toMatchObject({
      outcome: 'deleted',
      deleteId: 'd3',
    });
    const bodies = hs.calls.filter((call) => call.method === 'DELETE').map((call) => call.body);
    expect(bodies).toEqual([
      { purge: true, block: true },
      { purge: true, block: true },
      { purge: true, block: true, force_purge: true },
    ]);
  });

  it('treats a room the server no longer knows as already gone', async () => {
    const hs = new FakeHomeserver().on('GET /_synapse/admin/v1/rooms/', () => notFound());
    expect(await deleteRoomWithPurge(hs, '!r:test')).toMatchObject({ outcome: 'already_gone' });
    expect(hs.calls.some((call) => call.method === 'DELETE')).toBe(false);
  });
});

describe('legal hold', () => {
  const members: Record<string, ReturnType<StaffLookup>> = {
    '@sup-pn:test': { force: 'police', role: 'supervisor', active: true },
    '@sup-gn:test': { force: 'gendarmerie', role: 'supervisor', active: true },
    '@agent-pn:test': { force: 'police', role: 'agent', active: true },
    '@old-sup-pn:test': { force: 'police', role: 'supervisor', active: false },
  };
  const staff: StaffLookup = (userId) => members[userId];

  it('only a supervisor of the force, with a reason, may place one; it is audited', async () => {
    const writes: AuditEntry[] = [];
    const audit = {
      write: async (_forces: readonly string[], _cause: string, entry: AuditEntry) => void writes.push(entry),
    };
    const hs = new FakeHomeserver()
      .on('PUT /_matrix/client/v3/rooms/', () => ({ event_id: '$x' }))
      .on('GET /_matrix/client/v3/rooms/', () => []);
    const base = {
      force: 'police' as const,
      recordRoomId: '!sup:test',
      roomId: '!conv:test',
      at: NOW,
      reason: 'Réquisition du parquet',
    };
    for (const [supervisor, code] of [
      ['@agent-pn:test', 'NOT_SUPERVISOR'],
      ['@sup-gn:test', 'WRONG_FORCE'],
      ['@old-sup-pn:test', 'NOT_STAFF'],
      ['@nobody:test', 'NOT_STAFF'],
    ] as const) {
      await expect(putLegalHold({ matrix: hs, audit, staff }, { ...base, supervisor })).rejects.toMatchObject({ code });
    }
    await expect(
      putLegalHold({ matrix: hs, audit, staff }, { ...base, supervisor: '@sup-pn:test', reason: ' ' }),
    ).rejects.toMatchObject({ code: 'REASON_REQUIRED' });
    expect(hs.calls).toEqual([]);
    const hold = await putLegalHold({ matrix: hs, audit, staff }, { ...base, supervisor: '@sup-pn:test' });
    expect(hold).toEqual({ active: true, reason: 'Réquisition du parquet', by: '@sup-pn:test', at: NOW });
    const puts = hs.calls.filter((call) => call.method === 'PUT');
    expect(puts.map((call) => call.path)).toEqual([
      `/_matrix/client/v3/rooms/!sup%3Atest/state/${RetentionEventType.LegalHold}/!conv%3Atest`,
      // No lifetime any more: Synapse's own purge jobs would otherwise drop the held room's messages.
      '/_matrix/client/v3/rooms/!conv%3Atest/state/m.room.retention/',
    ]);
    expect(puts[1]!.body).toEqual({});
    expect(writes).toEqual([{ actor: '@sup-pn:test', action: 'legal_hold', conversation: '!conv:test', at: NOW }]);
  });

  it('a held room is never deleted, even on demand', async () => {
    const hs = new FakeHomeserver().on('GET /_matrix/client/v3/rooms/', () => [
      {
        type: RetentionEventType.LegalHold,
        state_key: '!conv:test',
        sender: '@espace-bot:test',
        content: { active: true, reason: 'x', by: '@sup-pn:test', at: 1 },
      },
    ]);
    const audit = { write: async () => {} };
    const error = await deleteConversation(
      { matrix: hs, audit },
      {
        force: 'police',
        recordRoomId: '!sup:test',
        roomId: '!conv:test',
        actor: '@admin:test',
        reason: 'manual',
        at: NOW,
      },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SafetyError);
    expect(error).toMatchObject({ code: 'LEGAL_HOLD' });
    expect(hs.calls.some((call) => call.method === 'DELETE')).toBe(false);
  });

  it("a hold in the other force's supervisors room, written by its force account, keeps the room", async () => {
    // Federated: the police placed the hold (its account on the police server wrote it), then the conversation went
    // to the gendarmerie, whose supervisors room holds the retention record.
    const hs = federatedFake().on('GET /_matrix/client/v3/rooms/!sup-pn', () => [
      {
        type: RetentionEventType.LegalHold,
        state_key: '!conv:public',
        sender: '@espace-bot:police',
        content: { active: true, reason: 'x', by: '@sup-pn:police', at: 1 },
      },
    ]);
    hs.on('GET /_matrix/client/v3/rooms/!sup-gn', () => [
      {
        type: RetentionEventType.Retention,
        state_key: '!conv:public',
        sender: '@espace-bot:gendarmerie',
        content: { closedAt: NOW - 10 * DAY, periodMs: DAY },
      },
    ]);
    const audit = { write: async () => {} };
    const request = {
      force: 'gendarmerie' as const,
      recordRoomId: '!sup-gn',
      roomId: '!conv:public',
      actor: '@admin:test',
      reason: 'manual' as const,
      at: NOW,
    };
    await expect(
      deleteConversation({ matrix: hs, audit }, { ...request, holdRoomIds: ['!sup-pn', '!sup-gn'] }),
    ).rejects.toMatchObject({ code: 'LEGAL_HOLD' });
    expect(hs.calls.some((call) => call.method === 'DELETE')).toBe(false);

    const report = await sweepRetention(
      { matrix: hs, audit, now: () => NOW },
      {
        recordRooms: { police: '!sup-pn', gendarmerie: '!sup-gn' },
        candidates: async () => [candidate('!conv:public', { force: 'gendarmerie' })],
        defaultPeriodMs: DAY,
      },
    );
    expect(report).toMatchObject({ deleted: [], held: 1, failed: [] });
    expect(hs.calls.some((call) => call.method === 'DELETE')).toBe(false);
  });
});

/** The bot's federated client, as `sentByBot` sees it: the public account plus one per force server. */
function federatedFake(): FakeHomeserver & { isOwn(userId: string): boolean } {
  const own = new Set(['@espace-bot:public', '@espace-bot:police', '@espace-bot:gendarmerie']);
  return Object.assign(new FakeHomeserver('@espace-bot:public'), { isOwn: (userId: string) => own.has(userId) });
}

describe('readConversationEntries', () => {
  it("reads the entries a force account wrote in its force's queue room, not others'", async () => {
    const entry = (roomId: string, force: string, sender: string) => ({
      type: 'fr.espace-mineurs.conversation',
      state_key: roomId,
      sender,
      content: { roomId, force, ticket: 1, state: 'abandoned', createdAt: 1, closedAt: 2, priority: 'normal' },
    });
    const hs = federatedFake()
      .on('GET /_matrix/client/v3/rooms/!queue-pn', () => [
        entry('!a:public', 'police', '@espace-bot:police'),
        entry('!forged:public', 'police', '@pn-agent:police'),
      ])
      .on('GET /_matrix/client/v3/rooms/!queue-gn', () => [
        entry('!b:public', 'gendarmerie', '@espace-bot:gendarmerie'),
      ]);
    const entries = await readConversationEntries(hs, { police: '!queue-pn', gendarmerie: '!queue-gn' });
    expect(entries.map((found) => found.roomId).sort()).toEqual(['!a:public', '!b:public']);
  });
});
