import { describe, expect, it } from 'vitest';
import type { ConversationEntry, QueuedEntry } from '@espace-mineurs/protocol';
import type { StaffMember } from '../state/store.ts';
import { arbitrateClaim, type ClaimInput } from './arbitration.ts';

const agent: StaffMember = {
  userId: '@pn-agent-1:test',
  force: 'police',
  role: 'agent',
  pseudonym: 'Alex',
  active: true,
};
const queued: QueuedEntry = {
  roomId: '!room:test',
  ticket: 3,
  state: 'queued',
  force: 'police',
  priority: 'normal',
  createdAt: 1,
  queuedAt: 2,
};

function input(overrides: Partial<ClaimInput> = {}): ClaimInput {
  return { eventId: '$claim', force: 'police', staff: agent, entry: queued, held: 0, capacity: 3, ...overrides };
}

describe('arbitrateClaim', () => {
  it('gives a queued conversation to an agent of its force', () => {
    expect(arbitrateClaim(input())).toEqual({ ok: true, replay: false, entry: queued });
  });

  it('refuses the second of two claims: the first already assigned it', () => {
    const first = arbitrateClaim(input({ eventId: '$first' }));
    expect(first.ok).toBe(true);
    const after: ConversationEntry = {
      ...queued,
      state: 'assigned',
      assignee: agent.userId,
      claimedAt: 3,
      lastEvent: '$first',
    };
    expect(
      arbitrateClaim(input({ eventId: '$second', entry: after, staff: { ...agent, userId: '@pn-agent-2:test' } })),
    ).toEqual({ ok: false, code: 'ALREADY_CLAIMED' });
  });

  it('recognises its own claim replayed after a crash', () => {
    const after: ConversationEntry = {
      ...queued,
      state: 'assigned',
      assignee: agent.userId,
      claimedAt: 3,
      lastEvent: '$claim',
    };
    expect(arbitrateClaim(input({ entry: after, held: 3 }))).toEqual({ ok: true, replay: true });
  });

  it('refuses strangers, the other force, unknown and ended conversations, and full agents', () => {
    expect(arbitrateClaim(input({ staff: undefined }))).toEqual({ ok: false, code: 'NOT_STAFF' });
    expect(arbitrateClaim(input({ staff: { ...agent, active: false } }))).toEqual({ ok: false, code: 'NOT_STAFF' });
    expect(arbitrateClaim(input({ staff: { ...agent, force: 'gendarmerie' } }))).toEqual({
      ok: false,
      code: 'WRONG_FORCE',
    });
    expect(arbitrateClaim(input({ entry: undefined }))).toEqual({ ok: false, code: 'UNKNOWN_CONVERSATION' });
    expect(arbitrateClaim(input({ entry: { ...queued, movedTo: 'gendarmerie' } }))).toEqual({
      ok: false,
      code: 'UNKNOWN_CONVERSATION',
    });
    expect(arbitrateClaim(input({ entry: { ...queued, state: 'closed', closedAt: 3, outcome: 'none' } }))).toEqual({
      ok: false,
      code: 'CONVERSATION_ENDED',
    });
    expect(arbitrateClaim(input({ held: 3 }))).toEqual({ ok: false, code: 'AT_CAPACITY' });
  });
});
