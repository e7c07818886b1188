import { describe, expect, it } from 'vitest';
import { canOpen, canSupervise, shouldAutoJoin } from './access.ts';
import { entry, GENDARME, POLICE_AGENT, POLICE_SUPERVISOR } from './fixtures.ts';

describe('canOpen', () => {
  it('opens my own conversation once the room is joined', () => {
    const mine = entry({ state: 'assigned', assignee: POLICE_AGENT.userId });
    expect(canOpen(mine, POLICE_AGENT, new Set([mine.roomId]))).toEqual({ open: true });
    expect(canOpen(mine, POLICE_AGENT, new Set())).toEqual({ open: false, reason: 'NOT_JOINED' });
  });

  it('refuses a conversation of the other force, even if the room were joined', () => {
    const police = entry({ state: 'assigned', assignee: GENDARME.userId });
    expect(canOpen(police, GENDARME, new Set([police.roomId]))).toEqual({ open: false, reason: 'OTHER_FORCE' });
  });

  it('refuses a colleague’s conversation to an agent, allows it to a supervisor of the force', () => {
    const colleague = entry({ state: 'assigned', assignee: '@pn-agent-2:test' });
    const joined = new Set([colleague.roomId]);
    expect(canOpen(colleague, POLICE_AGENT, joined).open).toBe(false);
    expect(canOpen(colleague, POLICE_SUPERVISOR, joined).open).toBe(true);
  });

  it('refuses a conversation that moved to the other force', () => {
    const moved = entry({ state: 'assigned', assignee: POLICE_AGENT.userId, movedTo: 'gendarmerie' });
    expect(canOpen(moved, POLICE_AGENT, new Set([moved.roomId]))).toEqual({ open: false, reason: 'MOVED' });
  });
});

describe('canSupervise', () => {
  it('offers supervisors to join active conversations of their force only', () => {
    const active = entry({ state: 'assigned', assignee: POLICE_AGENT.userId });
    expect(canSupervise(active, POLICE_SUPERVISOR, new Set())).toBe(true);
    expect(canSupervise(active, POLICE_SUPERVISOR, new Set([active.roomId]))).toBe(false);
    expect(canSupervise(active, POLICE_AGENT, new Set())).toBe(false);
    expect(canSupervise(entry({ state: 'assigned', force: 'gendarmerie' }), POLICE_SUPERVISOR, new Set())).toBe(false);
  });
});

describe('shouldAutoJoin', () => {
  it('accepts invites for conversations assigned or transferred to me', () => {
    expect(shouldAutoJoin(entry({ state: 'assigned', assignee: POLICE_AGENT.userId }), POLICE_AGENT)).toBe(true);
    expect(
      shouldAutoJoin(
        entry({
          state: 'assigned',
          assignee: 'x',
          pendingTransfer: { from: 'x', to: { agent: POLICE_AGENT.userId }, offeredAt: 1 },
        }),
        POLICE_AGENT,
      ),
    ).toBe(true);
  });
  it('ignores unknown rooms, other forces, closed conversations and colleagues’ ones', () => {
    expect(shouldAutoJoin(undefined, POLICE_AGENT)).toBe(false);
    expect(
      shouldAutoJoin(entry({ state: 'assigned', force: 'gendarmerie', assignee: POLICE_AGENT.userId }), POLICE_AGENT),
    ).toBe(false);
    expect(shouldAutoJoin(entry({ state: 'closed', assignee: POLICE_AGENT.userId }), POLICE_AGENT)).toBe(false);
    expect(shouldAutoJoin(entry({ state: 'assigned', assignee: 'x' }), POLICE_AGENT)).toBe(false);
    expect(shouldAutoJoin(entry({ state: 'assigned', assignee: 'x' }), POLICE_SUPERVISOR)).toBe(true);
  });
});
