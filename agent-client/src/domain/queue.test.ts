import { describe, expect, it } from 'vitest';
import { entry, GENDARME, POLICE_AGENT } from './fixtures.ts';
import { activeByAgent, closedToday, forceFigures, myConversations, transfersOffered, waitingQueue } from './queue.ts';

describe('waitingQueue', () => {
  it('puts urgent conversations first, then the longest wait', () => {
    const old = entry({ queuedAt: 100 });
    const recent = entry({ queuedAt: 500 });
    const urgent = entry({ queuedAt: 900, priority: 'urgent' });
    expect(waitingQueue([recent, urgent, old], POLICE_AGENT).map((e) => e.roomId)).toEqual([
      urgent.roomId,
      old.roomId,
      recent.roomId,
    ]);
  });

  it('never shows the other force’s conversations, nor ones that moved away, nor assigned ones', () => {
    const ours = entry();
    const theirs = entry({ force: 'gendarmerie' });
    const moved = entry({ movedTo: 'gendarmerie' });
    const taken = entry({ state: 'assigned', assignee: '@pn-agent-2:test' });
    expect(waitingQueue([ours, theirs, moved, taken], POLICE_AGENT)).toEqual([ours]);
    expect(waitingQueue([ours, theirs, moved, taken], GENDARME)).toEqual([theirs]);
  });

  it('falls back to createdAt when queuedAt is missing', () => {
    const a = entry({ queuedAt: undefined, createdAt: 50 });
    const b = entry({ queuedAt: 60 });
    expect(waitingQueue([b, a], POLICE_AGENT)[0]).toBe(a);
  });
});

describe('myConversations', () => {
  it('lists only conversations assigned to me, most recent activity first', () => {
    const a = entry({ state: 'assigned', assignee: POLICE_AGENT.userId, claimedAt: 10 });
    const b = entry({ state: 'assigned', assignee: POLICE_AGENT.userId, claimedAt: 20 });
    const colleague = entry({ state: 'assigned', assignee: '@pn-agent-2:test' });
    const closed = entry({ state: 'closed', assignee: POLICE_AGENT.userId });
    const list = myConversations([a, b, colleague, closed], POLICE_AGENT, new Map([[a.roomId, 99]]));
    expect(list.map((e) => e.roomId)).toEqual([a.roomId, b.roomId]);
  });

  it('puts my urgent conversations first, whatever their activity', () => {
    const busy = entry({ state: 'assigned', assignee: POLICE_AGENT.userId, claimedAt: 10 });
    const urgent = entry({ state: 'assigned', assignee: POLICE_AGENT.userId, claimedAt: 5, priority: 'urgent' });
    expect(myConversations([busy, urgent], POLICE_AGENT, new Map([[busy.roomId, 99]])).map((e) => e.roomId)).toEqual([
      urgent.roomId,
      busy.roomId,
    ]);
  });
});

describe('transfersOffered', () => {
  it('shows warm transfers to me or to my force, not the ones I offered', () => {
    const toMe = entry({
      state: 'assigned',
      assignee: '@pn-agent-2:test',
      pendingTransfer: { from: '@pn-agent-2:test', to: { agent: POLICE_AGENT.userId }, offeredAt: 1 },
    });
    const toForce = entry({
      state: 'assigned',
      pendingTransfer: { from: '@x:test', to: { force: 'police' }, offeredAt: 1 },
    });
    const mine = entry({
      state: 'assigned',
      assignee: POLICE_AGENT.userId,
      pendingTransfer: { from: POLICE_AGENT.userId, to: { force: 'police' }, offeredAt: 1 },
    });
    const toOther = entry({
      state: 'assigned',
      pendingTransfer: { from: '@x:test', to: { agent: '@pn-agent-2:test' }, offeredAt: 1 },
    });
    expect(transfersOffered([toMe, toForce, mine, toOther], POLICE_AGENT)).toEqual([toMe, toForce]);
  });
});

describe('supervisor figures', () => {
  const now = new Date(2026, 10, 28, 15, 0).getTime();
  it('counts waiting, urgent, longest wait, active, closed today and median first response', () => {
    const entries = [
      entry({ queuedAt: now - 120_000 }),
      entry({ queuedAt: now - 30_000, priority: 'urgent' }),
      entry({ state: 'assigned', assignee: 'a', queuedAt: now - 600_000, firstAgentMessageAt: now - 540_000 }),
      entry({ state: 'assigned', assignee: 'a', queuedAt: now - 600_000, firstAgentMessageAt: now - 480_000 }),
      entry({ state: 'closed', closedAt: now - 1000, queuedAt: now - 900_000, firstAgentMessageAt: now - 800_000 }),
      entry({ state: 'closed', closedAt: now - 3 * 86_400_000 }),
      entry({ force: 'gendarmerie' }),
    ];
    const figures = forceFigures(entries, POLICE_AGENT, now, 2);
    expect(figures).toEqual({
      waiting: 2,
      urgentWaiting: 1,
      longestWaitMs: 120_000,
      active: 2,
      closedToday: 1,
      medianFirstResponseMs: 100_000,
      agentsOnDuty: 2,
    });
    expect(closedToday(entries, POLICE_AGENT, now)).toHaveLength(1);
    expect([...(activeByAgent(entries, POLICE_AGENT).get('a') ?? [])]).toHaveLength(2);
  });

  it('reports no median when nobody answered today', () => {
    expect(forceFigures([entry()], POLICE_AGENT, now, 0).medianFirstResponseMs).toBeUndefined();
  });
});
