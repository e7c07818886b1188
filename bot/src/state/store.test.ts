import { describe, expect, it } from 'vitest';
import type { ConversationEntry } from '@espace-mineurs/protocol';
import { Store, UNREAD_GUEST, stateOf, type Conversation } from './store.ts';

const rooms = (prefix: string) => ({
  spaceId: `!${prefix}-space:t`,
  queueRoomId: `!${prefix}-queue:t`,
  supervisorsRoomId: `!${prefix}-sup:t`,
  auditRoomId: `!${prefix}-audit:t`,
});

function conversation(roomId: string, entry?: Partial<ConversationEntry>): Conversation {
  return {
    roomId,
    guest: `@g-${roomId}:t`,
    createdAt: 1,
    triage: undefined,
    status: undefined,
    lastGuestActivity: 1,
    entry: entry
      ? ({
          roomId,
          ticket: 1,
          state: 'queued',
          force: 'police',
          priority: 'normal',
          createdAt: 1,
          ...entry,
        } as ConversationEntry)
      : undefined,
  };
}

describe('Store', () => {
  it('orders a queue urgent first, then oldest, and gives positions', () => {
    const store = new Store({ police: rooms('p'), gendarmerie: rooms('g') });
    store.add(conversation('!a:t', { ticket: 1, queuedAt: 10 }));
    store.add(conversation('!b:t', { ticket: 2, queuedAt: 20, priority: 'urgent' }));
    store.add(conversation('!c:t', { ticket: 3, queuedAt: 5 }));
    store.add(conversation('!d:t', { ticket: 4, queuedAt: 1, force: 'gendarmerie' }));
    expect(store.queued('police').map((item) => item.roomId)).toEqual(['!b:t', '!c:t', '!a:t']);
    expect(store.queuePosition(store.conversations.get('!a:t')!, 60)).toEqual({
      position: 3,
      estimatedWaitSeconds: 180,
    });
    expect(store.takeTicket('police')).toBe(4);
    expect(store.takeTicket('gendarmerie')).toBe(5);
  });

  it('counts free places of agents on duty for routing', () => {
    const store = new Store({ police: rooms('p'), gendarmerie: rooms('g') });
    store.staff.set('@a:t', { userId: '@a:t', force: 'police', role: 'agent', pseudonym: 'A', active: true });
    store.staff.set('@b:t', { userId: '@b:t', force: 'police', role: 'agent', pseudonym: 'B', active: true });
    store.duty.set('@a:t', { onDuty: true, capacity: 2, updatedAt: 1 });
    store.duty.set('@b:t', { onDuty: false, capacity: 5, updatedAt: 1 });
    store.add(conversation('!x:t', { state: 'assigned', assignee: '@a:t' }));
    expect(store.load('police')).toEqual({ onDuty: 1, freeSlots: 1, queued: 0 });
    expect(store.heldBy('@a:t')).toBe(1);
  });

  it('keeps one latest conversation per guest, and states before routing come from the status', () => {
    const store = new Store({ police: rooms('p'), gendarmerie: rooms('g') });
    const old = {
      ...conversation('!old:t'),
      guest: '@g:t',
      createdAt: 1,
      status: { state: 'abandoned' as const, agentJoined: false, updatedAt: 2 },
    };
    const fresh = { ...conversation('!new:t'), guest: '@g:t', createdAt: 5 };
    store.add(fresh);
    store.add(old);
    expect(store.latestByGuest.get('@g:t')).toBe('!new:t');
    expect(stateOf(old)).toBe('abandoned');
    expect(stateOf(fresh)).toBe('triage');
  });

  it('keeps a past conversation rebuilt without its guest out of the guest index, and counts its ticket', () => {
    const store = new Store({ police: rooms('p'), gendarmerie: rooms('g') });
    store.add({ ...conversation('!past:t', { ticket: 41, state: 'closed', guestEndedAt: 2 }), guest: UNREAD_GUEST });
    expect(store.latestByGuest.size).toBe(0);
    expect(store.conversations.has('!past:t')).toBe(true);
    expect(store.takeTicket('police')).toBe(42);
  });
});
