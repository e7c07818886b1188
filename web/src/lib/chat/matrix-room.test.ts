import { describe, expect, it } from 'vitest';
import { connectRoom, RoomGoneError, syncFilter, TIMELINE_LIMIT } from './matrix-room.ts';

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
    ]);
    const room = await connectRoom(
      credentials,
      ROOM,
      { changed: () => {}, connection: () => {}, left: () => {} },
      { joined: true, fetchImpl: resumed.impl },
    );
    expect(resumed.calls[0]).toBe('GET /sync');
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

  it('sends with the given transaction id and reports Synapse’s refusal by status and errcode', async () => {
    const { impl, calls } = homeserver([
      (url) =>
        url.pathname.endsWith('/sync')
          ? { body: { next_batch: 's1', rooms: { join: { [ROOM]: joinedRoom } } } }
          : undefined,
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
