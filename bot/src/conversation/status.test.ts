import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConversationEntry, PublicStatus } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import { KeyedQueue } from '../runtime/locks.ts';
import { Store, type Conversation } from '../state/store.ts';
import { POSITION_WRITES_IN_FLIGHT, cancelPositionRefreshes, refreshPositionsSoon } from './status.ts';

const rooms = (prefix: string) => ({
  spaceId: `!${prefix}-space:t`,
  queueRoomId: `!${prefix}-queue:t`,
  supervisorsRoomId: `!${prefix}-sup:t`,
  auditRoomId: `!${prefix}-audit:t`,
});

function queued(index: number): Conversation {
  const roomId = `!room-${index}:t`;
  return {
    roomId,
    guest: `@g-${index}:t`,
    createdAt: 1,
    triage: undefined,
    // Every room shows a position one behind where it is now, as after a claim at the front.
    status: { state: 'queued', agentJoined: false, updatedAt: 0, position: index + 2 } as PublicStatus,
    lastGuestActivity: 1,
    entry: {
      roomId,
      ticket: index + 1,
      state: 'queued',
      force: 'police',
      priority: 'normal',
      createdAt: 1,
      queuedAt: index + 1,
    } as ConversationEntry,
  };
}

/** A homeserver whose status writes stay open until the test lets them finish. */
function harness(waiting: number) {
  const store = new Store({ police: rooms('p'), gendarmerie: rooms('g') });
  for (let index = 0; index < waiting; index++) store.add(queued(index));
  const writes: Array<{ roomId: string; position?: number; done: () => void }> = [];
  const finished = new Set<(typeof writes)[number]>();
  let inFlight = 0;
  let mostInFlight = 0;
  const ctx = {
    store,
    locks: new KeyedQueue(),
    config: { defaultWaitSeconds: 60 },
    now: () => 1000,
    log: { warn: vi.fn() },
    matrix: {
      putState: (roomId: string, _type: string, _key: string, status: PublicStatus) =>
        new Promise<void>((resolve) => {
          inFlight++;
          mostInFlight = Math.max(mostInFlight, inFlight);
          writes.push({
            roomId,
            position: status.position,
            done: () => {
              inFlight--;
              resolve();
            },
          });
        }),
    },
  } as unknown as Context;
  /** Lets every open write finish, and those they lead to, until none opens for a while. */
  const drain = async () => {
    for (let idle = 0; idle < 10;) {
      await vi.advanceTimersByTimeAsync(0);
      const open = writes.filter((write) => !finished.has(write));
      idle = open.length === 0 ? idle + 1 : 0;
      for (const write of open) {
        finished.add(write);
        write.done();
      }
    }
  };
  return { ctx, store, writes, drain, mostInFlight: () => mostInFlight };
}

describe('queue position refresh', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('writes every moved position, front of the queue first, a few at a time', async () => {
    const { ctx, writes, drain, mostInFlight } = harness(20);
    refreshPositionsSoon(ctx, 'police', 5000);
    refreshPositionsSoon(ctx, 'police', 5000);
    await vi.advanceTimersByTimeAsync(4999);
    expect(writes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes.map((write) => write.roomId)).toEqual(
      Array.from({ length: POSITION_WRITES_IN_FLIGHT }, (_, index) => `!room-${index}:t`),
    );
    await drain();
    expect(writes.map((write) => write.position)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    expect(mostInFlight()).toBe(POSITION_WRITES_IN_FLIGHT);
    // Nothing moved since: another refresh writes nothing.
    refreshPositionsSoon(ctx, 'police', 5000);
    await vi.advanceTimersByTimeAsync(5000);
    await drain();
    expect(writes).toHaveLength(20);
  });

  it('a change during a refresh asks for one more after it, with the positions of then', async () => {
    const { ctx, store, writes, drain } = harness(10);
    refreshPositionsSoon(ctx, 'police', 5000);
    await vi.advanceTimersByTimeAsync(5000);
    expect(writes).toHaveLength(POSITION_WRITES_IN_FLIGHT);
    // The first in line is claimed while the refresh runs, and asked for twice.
    store.conversations.get('!room-0:t')!.entry!.state = 'assigned';
    refreshPositionsSoon(ctx, 'police', 5000);
    refreshPositionsSoon(ctx, 'police', 5000);
    await drain();
    const first = writes.length;
    // The rooms not yet reached were written with their new place; the ones already written wait for the next.
    expect(writes.find((write) => write.roomId === '!room-9:t')?.position).toBe(9);
    await vi.advanceTimersByTimeAsync(5000);
    await drain();
    const second = writes.slice(first);
    expect(second.map((write) => write.roomId)).toEqual(['!room-1:t', '!room-2:t', '!room-3:t']);
    expect(second.map((write) => write.position)).toEqual([1, 2, 3]);
    // And no third one.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(writes).toHaveLength(first + second.length);
  });

  it('stops at once when the bot stops, mid-refresh or before it', async () => {
    const { ctx, writes, drain } = harness(12);
    refreshPositionsSoon(ctx, 'police', 5000);
    await vi.advanceTimersByTimeAsync(5000);
    cancelPositionRefreshes(ctx);
    await drain();
    expect(writes).toHaveLength(POSITION_WRITES_IN_FLIGHT);

    const other = harness(3);
    refreshPositionsSoon(other.ctx, 'police', 5000);
    cancelPositionRefreshes(other.ctx);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(other.writes).toHaveLength(0);
  });

  it('a write that fails is logged and the others go on', async () => {
    const { ctx, writes, drain } = harness(6);
    const putState = ctx.matrix.putState.bind(ctx.matrix);
    ctx.matrix.putState = ((roomId: string, ...rest: [string, string, PublicStatus]) =>
      roomId === '!room-1:t' ? Promise.reject(new Error('M_FORBIDDEN')) : putState(roomId, ...rest)) as never;
    refreshPositionsSoon(ctx, 'police', 5000);
    await vi.advanceTimersByTimeAsync(5000);
    await drain();
    expect(writes.map((write) => write.roomId)).not.toContain('!room-1:t');
    expect(writes).toHaveLength(5);
    expect(ctx.log.warn).toHaveBeenCalledWith(
      { roomId: '!room-1:t', err: 'M_FORBIDDEN' },
      'could not refresh a queue position',
    );
  });
});
