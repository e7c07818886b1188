import { ConversationEntry, type AssignedEntry, type QueuedEntry } from '@espace-mineurs/protocol';
import { describe, expect, it } from 'vitest';
import {
  abandoned,
  claimed,
  closed,
  firstAgentMessage,
  flaggedUrgent,
  guestEnded,
  movedTo,
  requeued,
  transferDropped,
  transferOffered,
} from './machine.ts';

const offer = { from: '@pn-agent-1:test', to: { agent: '@pn-agent-2:test' }, offeredAt: 5 };
const queued: QueuedEntry = {
  roomId: '!room:test',
  ticket: 7,
  state: 'queued',
  force: 'police',
  priority: 'normal',
  createdAt: 1,
  queuedAt: 2,
  queueEventId: '$queue',
  lastEvent: '$open',
};
const assigned: AssignedEntry = {
  ...queued,
  state: 'assigned',
  assignee: '@pn-agent-1:test',
  claimedAt: 3,
  pendingTransfer: offer,
  lastEvent: '$offer',
};

/** Every transition returns a valid entry with no undefined key, committed with its cause. */
function valid(entry: ConversationEntry): ConversationEntry {
  expect(ConversationEntry.safeParse(entry).success).toBe(true);
  expect(Object.values(entry)).not.toContain(undefined);
  return entry;
}

describe('the conversation lifecycle, transition by transition', () => {
  it('a claim assigns the agent and drops a pending offer', () => {
    const next = valid(
      claimed({ ...queued, pendingTransfer: offer }, { agent: '@pn-agent-2:test', at: 9, cause: '$claim' }),
    );
    expect(next).toMatchObject({
      state: 'assigned',
      assignee: '@pn-agent-2:test',
      claimedAt: 9,
      lastEvent: '$claim',
      ticket: 7,
    });
    expect(next).not.toHaveProperty('pendingTransfer');
  });

  it('a requeue forgets who held it and any offer', () => {
    const next = valid(requeued(assigned, '$leave'));
    expect(next).toMatchObject({ state: 'queued', lastEvent: '$leave', queuedAt: 2 });
    for (const key of ['assignee', 'claimedAt', 'pendingTransfer']) expect(next).not.toHaveProperty(key);
  });

  it('closing and abandoning end it, drop the offer, keep who held it', () => {
    const shut = valid(closed(assigned, { at: 10, outcome: '119', cause: '$close' }));
    expect(shut).toMatchObject({
      state: 'closed',
      closedAt: 10,
      outcome: '119',
      lastEvent: '$close',
      assignee: '@pn-agent-1:test',
    });
    expect(shut).not.toHaveProperty('pendingTransfer');
    const left = valid(abandoned(assigned, { at: 11, cause: 'silence:!room:test:4' }));
    expect(left).toMatchObject({ state: 'abandoned', closedAt: 11, lastEvent: 'silence:!room:test:4' });
    expect(left).not.toHaveProperty('pendingTransfer');
  });

  it('an offer waits; declined it goes with the answer as cause, withdrawn by the timer it leaves lastEvent alone', () => {
    const { pendingTransfer: _none, ...plain } = assigned;
    expect(valid(transferOffered(plain, offer, '$offer'))).toMatchObject({
      pendingTransfer: offer,
      lastEvent: '$offer',
    });
    const declined = valid(transferDropped(assigned, '$decline'));
    expect(declined).toMatchObject({ state: 'assigned', lastEvent: '$decline' });
    expect(declined).not.toHaveProperty('pendingTransfer');
    const withdrawn = valid(transferDropped(assigned));
    expect(withdrawn.lastEvent).toBe('$offer');
    expect(withdrawn).not.toHaveProperty('pendingTransfer');
  });

  it('a move in the same force keeps ticket and queue message; to the other force it takes that ticket and says where from', () => {
    const same = valid(movedTo(assigned, { force: 'police', ticket: 99 }, { state: 'queued' }, '$to-force'));
    expect(same).toMatchObject({
      state: 'queued',
      ticket: 7,
      force: 'police',
      queueEventId: '$queue',
      lastEvent: '$to-force',
    });
    for (const key of ['assignee', 'claimedAt', 'pendingTransfer', 'previousForce'])
      expect(same).not.toHaveProperty(key);
    const other = valid(
      movedTo(
        assigned,
        { force: 'gendarmerie', ticket: 3 },
        { state: 'assigned', assignee: '@gn-agent-1:test', claimedAt: 12, transferredFrom: '@pn-agent-1:test' },
        '$to-agent',
      ),
    );
    expect(other).toMatchObject({
      ticket: 3,
      force: 'gendarmerie',
      previousForce: 'police',
      assignee: '@gn-agent-1:test',
      transferredFrom: '@pn-agent-1:test',
    });
    expect(other).not.toHaveProperty('queueEventId');
  });

  it('flags, first answers and guest endings only add their fact', () => {
    expect(valid(flaggedUrgent(queued, '$danger'))).toEqual({ ...queued, priority: 'urgent', lastEvent: '$danger' });
    expect(valid(firstAgentMessage(assigned, 20))).toEqual({ ...assigned, firstAgentMessageAt: 20 });
    expect(valid(guestEnded(assigned, 30))).toEqual({ ...assigned, guestEndedAt: 30 });
  });
});
