import { describe, expect, it } from 'vitest';
import type { MatrixEvent, Room } from 'matrix-js-sdk';
import { holdsRoomStart, roomEvents } from './workspace.ts';

const event = (id: string, ts: number, type = 'm.room.message') =>
  ({ getId: () => id, getTs: () => ts, getType: () => type }) as unknown as MatrixEvent;

/** A room as the SDK holds it after a limited sync: earlier timelines kept aside, a new live one last. */
function roomWith(...timelines: MatrixEvent[][]): Room {
  return {
    getUnfilteredTimelineSet: () => ({ getTimelines: () => timelines.map((events) => ({ getEvents: () => events })) }),
  } as unknown as Room;
}

describe('a room whose live timeline was reset (federated topology)', () => {
  // What a police server's sync did after the agent's join: the live timeline got the triage answers it had fetched
  // late from the public server, the earlier timeline kept the room's start, the agent's join and their message.
  const earlier = [
    event('$create', 1, 'm.room.create'),
    event('$q1', 10),
    event('$join', 40, 'm.room.member'),
    event('$agent', 50),
  ];
  const live = [event('$a5', 20), event('$postcode', 30), event('$answer', 60)];

  it('shows the events of every timeline, in the order they were written, each once', () => {
    const ids = roomEvents(roomWith([], earlier, [...live, event('$agent', 50)])).map((e) => e.getId());
    expect(ids).toEqual(['$create', '$q1', '$a5', '$postcode', '$join', '$agent', '$answer']);
  });

  it('knows it holds the room’s start in an earlier timeline', () => {
    expect(holdsRoomStart(roomWith(earlier, live))).toBe(true);
    expect(holdsRoomStart(roomWith(live))).toBe(false);
  });
});
