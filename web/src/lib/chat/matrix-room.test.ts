import { describe, expect, it } from 'vitest';
import { connectRoom, olderThan, RoomGoneError, syncFilter, TIMELINE_LIMIT } from './matrix-room.ts';

const credentials = { homeserverUrl: 'http://hs', userId: '@guest:hs', accessToken: 'tok', deviceId: 'D' };
const ROOM = '!room:hs';

/** A scripted homeserver: answers each request from `routes` in order, and records what was asked. */
function homeserver(routes: Array<(url: URL, init: RequestInit) => { status?: number; body: unknown } | undefined>) {
  const calls: string[] = [];
  const impl = (async (input: string, init: RequestInit) => {
    const url = new URL(input);
    calls.push(`${init.method} ${url.pathname.replace('/_matrix/client/v3', '')}`);
    for (const route of routes) {
      const answer = route(url, init);
      if (answer) return new Response(JSON.stringify(answer.body), { status: answer.status ?? 200 });
    }
    // The long poll: never answers within the test.
    return new Promise<Response>((_, fail) => init.signal?.addEventListener('abort', () => fail(new Error('aborted'))));
  }) as unknown as typeof fetch;
  return { impl, calls };
}

const joinedRoom = {
  state: { events: [{ type: 'm.room.create', state_key: '', sender: '@bot:hs', content: {} }] },
  timeline: {
    events: [
      {
        event_id: '$q',
        type: 'm.room.message',
        sender: '@bot:hs',
        origin_server_ts: 1,
        content: { msgtype: 'm.text', body: 'Question ?' },
      },
    ],
    limited: true,
    prev_batch: 'p1',
  },
};

describe('syncFilter', () => {
  it('asks for one room, the rendered types and a real timeline limit, members not lazy-loaded', () => {
    const filter = JSON.parse(syncFilter(ROOM));
    expect(filter.room.rooms).toEqual([ROOM]);
    expect(filter.room.timeline.limit).toBe(TIMELINE_LIMIT);
    expect(filter.room.timeline.types).toContain('m.room.redaction');
    expect(filter.room.state.lazy_load_members).toBe(false);
    expect(filter.presence).toEqual({ not_types: ['*'] });
  });
});

describe('connectRoom', () => {
  it('joins then syncs once, with no other round trip, and scrolls back from the timeline’s start', async () => {
    const { impl, calls } = homeserver([
      (url) => (url.pathname.endsWith('/join/' + encodeURIComponent(ROOM)) ? { body: { room_id: ROOM } } : undefined),
      (url) =>
        url.pathname.endsWith('/sync') && url.searchParams.get('timeout') === '0'
          ? { body: { next_batch: 's1', rooms: { join: { [ROOM]: joinedRoom } } } }
          : undefined,
      (url) =>
        url.pathname.endsWith('/messages') && url.searchParams.get('from') === 'p1'
          ? {
              body: {
                chunk: [
                  {
                    event_id: '$old',
                    type: 'm.room.message',
                    sender: '@guest:hs',
                    origin_server_ts: 0,
                    content: { msgtype: 'm.text', body: 'Salut' },
                  },
                ],
              },
            }
          : undefined,
    ]);
    const seen: string[][] = [];
    const room = await connectRoom(
      credentials,
      ROOM,
      { changed: (model) => seen.push(model.messages.map((m) => m.body)), connection: () => {}, left: () => {} },
      { joined: false, fetchImpl: impl },
    );
    expect(calls.slice(0, 2)).toEqual([`POST /join/${encodeURIComponent(ROOM)}`, 'GET /sync']);
    expect(seen[0]).toEqual(['Question ?']);
    expect(room.hasOlder).toBe(true);
    expect(await room.loadOlder()).toBe(false);
    expect(seen.at(-1)).toEqual(['Salut', 'Question ?']);
    room.stop();
  });

  it('after a reload, syncs without joining, and says the room is gone once the guest has left it or was ended', async () => {
    const resumed = homeserver([
      (url) =>
        url.pathname.endsWith('/sync')
          ? { body: { next_batch: 's1', rooms: { join: { [ROOM]: joinedRoom } } } }
          : undefined,
      (url) =>
        url.pathname.endsWith('/messages') && !url.searchParams.has('from') ? { body: { chunk: [] } } : undefined,
    ]);
    const room = await connectRoom(
      credentials,
      ROOM,
      { changed: () => {}, connection: () => {}, left: () => {} },
      { joined: true, fetchImpl: resumed.impl },
    );
    expect(resumed.calls.slice(0, 2).sort()).toEqual([`GET /rooms/${encodeURIComponent(ROOM)}/messages`, 'GET /sync']);
    expect(resumed.calls.some((call) => call.startsWith('POST /join'))).toBe(false);
    room.stop();

    const left = homeserver([
      (url) =>
        url.pathname.endsWith('/sync') ? { body: { next_batch: 's1', rooms: { leave: { [ROOM]: {} } } } } : undefined,
    ]);
    await expect(
      connectRoom(
        credentials,
        ROOM,
        { changed: () => {}, connection: () => {}, left: () => {} },
        { joined: true, fetchImpl: left.impl },
      ),
    ).rejects.toBeInstanceOf(RoomGoneError);
    const ended = homeserver([
      (url) => (url.pathname.endsWith('/sync') ? { status: 401, body: { errcode: 'M_UNKNOWN_TOKEN' } } : undefined),
    ]);
    await expect(
      connectRoom(
        credentials,
        ROOM,
        { changed: () => {}, connection: () => {}, left: () => {} },
        { joined: true, fetchImpl: ended.impl },
      ),
    ).rejects.toBeInstanceOf(RoomGoneError);
  });

  it('after a reload, reads the history in the same round trip as the sync and shows it whole', async () => {
    const older = { type: 'm.room.message', sender: '@bot:hs', origin_server_ts: 0, content: { msgtype: 'm.text' } };
    const resumed = homeserver([
      (url) =>
        url.pathname.endsWith('/sync') && !url.searchParams.has('since')
          ? { body: { next_batch: 's1', rooms: { join: { [ROOM]: joinedRoom } } } }
          : undefined,
      (url) =>
        url.pathname.endsWith('/messages') && !url.searchParams.has('from')
          ? {
              body: {
                // Newest first: one event the sync does not have yet, the sync's first, then two older ones.
                chunk: [
                  { ...older, event_id: '$newer', origin_server_ts: 2, content: { msgtype: 'm.text', body: 'Après' } },
                  joinedRoom.timeline.events[0],
                  { ...older, event_id: '$a2', content: { msgtype: 'm.text', body: 'Avant 2' } },
                  { ...older, event_id: '$a1', content: { msgtype: 'm.text', body: 'Avant 1' } },
                ],
              },
            }
          : undefined,
    ]);
    let bodies: string[] = [];
    const room = await connectRoom(
      credentials,
      ROOM,
      {
        changed: (model) => (bodies = model.messages.map((message) => message.body)),
        connection: () => {},
        left: () => {},
      },
      { joined: true, fetchImpl: resumed.impl },
    );
    // The event newer than the sync is left to the sync loop; the page reached the room's start (no `end`).
    expect(bodies).toEqual(['Avant 1', 'Avant 2', 'Question ?']);
    expect(room.hasOlder).toBe(false);
    room.stop();
  });

  it('falls back to the sync’s own prev_batch when the history page does not reach the sync’s timeline', () => {
    const timeline = [{ event_id: '$q' }];
    expect(olderThan(timeline, { chunk: [{ event_id: '$x' }], end: 'e' })).toBeUndefined();
    expect(olderThan(timeline, undefined)).toBeUndefined();
    expect(olderThan([], { chunk: [{ event_id: '$q' }] })).toBeUndefined();
    expect(
      olderThan(timeline, { chunk: [{ event_id: '$q' }, { event_id: '$b' }, { event_id: '$a' }], end: 'e' }),
    ).toEqual({
      events: [{ event_id: '$a' }, { event_id: '$b' }],
      end: 'e',
    });
  });

  it('sends with the given transaction id and reports Synapse’s refusal by status and errcode', async () => {
    const { impl, calls } = homeserver([
      (url) =>
        url.pathname.endsWith('/sync')
          ? { body: { next_batch: 's1', rooms: { join: { [ROOM]: joinedRoom } } } }
          : undefined,
      (url) =>
        url.pathname.endsWith('/messages') && !url.searchParams.has('from') ? { body: { chunk: [] } } : undefined,
      (url) => (url.pathname.endsWith('/t.1') ? { body: { event_id: '$sent' } } : undefined),
      (url) => (url.pathname.endsWith('/t.2') ? { status: 429, body: { errcode: 'M_LIMIT_EXCEEDED' } } : undefined),
    ]);
    const room = await connectRoom(
      credentials,
      ROOM,
      { changed: () => {}, connection: () => {}, left: () => {} },
      { joined: true, fetchImpl: impl },
    );
    expect(await room.send('t.1', { msgtype: 'm.text', body: 'a' })).toBe('$sent');
    expect(calls).toContain(`PUT /rooms/${encodeURIComponent(ROOM)}/send/m.room.message/t.1`);
    await expect(room.send('t.2', { msgtype: 'm.text', body: 'b' })).rejects.toEqual({
      httpStatus: 429,
      errcode: 'M_LIMIT_EXCEEDED',
    });
    room.stop();
  });
});
