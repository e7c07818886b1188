import { describe, expect, it } from 'vitest';
import { EventType } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import { guestOf } from './rebuild.ts';
import { UNREAD_GUEST, type Conversation } from './store.ts';

function past(roomId: string): Conversation {
  return {
    roomId,
    guest: UNREAD_GUEST,
    createdAt: 1,
    triage: undefined,
    entry: undefined,
    status: undefined,
    lastGuestActivity: 1,
  };
}

/** A context whose homeserver answers state reads from `state` (keyed `room|type|key`) and counts them. */
function contextWith(state: Record<string, unknown>): { ctx: Context; reads: string[] } {
  const reads: string[] = [];
  const matrix = {
    getState: (roomId: string, type: string, key = '') => {
      reads.push(`${roomId}|${type}|${key}`);
      return Promise.resolve(state[`${roomId}|${type}|${key}`]);
    },
  };
  return { ctx: { matrix } as unknown as Context, reads };
}

describe('guestOf', () => {
  it('reads the guest of a conversation rebuilt without it from the room marker, once', async () => {
    const { ctx, reads } = contextWith({
      [`!a:t|${EventType.ConversationRoom}|`]: { guest: '@guest-1:t', createdAt: 5 },
    });
    const conversation = past('!a:t');
    expect(await guestOf(ctx, conversation)).toBe('@guest-1:t');
    expect(await guestOf(ctx, conversation)).toBe('@guest-1:t');
    expect(conversation.guest).toBe('@guest-1:t');
    expect(reads).toHaveLength(1);
  });

  it('does not read the room when the guest is known', async () => {
    const { ctx, reads } = contextWith({});
    expect(await guestOf(ctx, { ...past('!a:t'), guest: '@guest-2:t' })).toBe('@guest-2:t');
    expect(reads).toEqual([]);
  });

  it('is undefined when the room has no marker or a malformed one', async () => {
    const { ctx } = contextWith({ [`!b:t|${EventType.ConversationRoom}|`]: { guest: 'not a user id', createdAt: 5 } });
    expect(await guestOf(ctx, past('!a:t'))).toBeUndefined();
    const malformed = past('!b:t');
    expect(await guestOf(ctx, malformed)).toBeUndefined();
    expect(malformed.guest).toBe(UNREAD_GUEST);
  });
});
