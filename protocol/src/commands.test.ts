import { describe, expect, it } from 'vitest';
import { ConversationEntry, commandResultIn } from './commands.ts';
import { EventType } from './events.ts';

const base = { roomId: '!room:test', ticket: 4, force: 'police', priority: 'normal', createdAt: 1 } as const;

describe('ConversationEntry, a union on state', () => {
  it('accepts each state with the fields it depends on', () => {
    expect(ConversationEntry.safeParse({ ...base, state: 'queued', queuedAt: 2 }).success).toBe(true);
    expect(
      ConversationEntry.safeParse({
        ...base,
        state: 'assigned',
        queuedAt: 2,
        assignee: '@pn-agent-1:test',
        claimedAt: 3,
      }).success,
    ).toBe(true);
    expect(
      ConversationEntry.safeParse({ ...base, state: 'closed', queuedAt: 2, closedAt: 4, outcome: '119' }).success,
    ).toBe(true);
    expect(ConversationEntry.safeParse({ ...base, state: 'abandoned', closedAt: 4 }).success).toBe(true);
  });

  it('refuses a state without what it depends on', () => {
    expect(ConversationEntry.safeParse({ ...base, state: 'queued' }).success).toBe(false);
    expect(ConversationEntry.safeParse({ ...base, state: 'assigned', queuedAt: 2, claimedAt: 3 }).success).toBe(false);
    expect(
      ConversationEntry.safeParse({ ...base, state: 'assigned', queuedAt: 2, assignee: '@pn-agent-1:test' }).success,
    ).toBe(false);
    expect(ConversationEntry.safeParse({ ...base, state: 'closed', closedAt: 4 }).success).toBe(false);
    expect(ConversationEntry.safeParse({ ...base, state: 'abandoned' }).success).toBe(false);
  });

  it('has no entry state for triage: a conversation in triage has no entry yet', () => {
    expect(ConversationEntry.safeParse({ ...base, state: 'triage', queuedAt: 2 }).success).toBe(false);
  });
});

describe('commandResultIn', () => {
  const result = { requestId: 'r1', action: 'claim', ok: true };

  it('reads a result event, and a live-log line that carries one', () => {
    expect(commandResultIn({ type: EventType.CommandResult, content: result })).toEqual(result);
    expect(
      commandResultIn({
        type: 'm.room.message',
        content: {
          msgtype: 'm.notice',
          body: 'Conversation n°3 prise par Agent 1.',
          [EventType.CommandResult]: result,
        },
      }),
    ).toEqual(result);
  });

  it('finds none in a plain line, another event type, or a malformed field', () => {
    expect(commandResultIn({ type: 'm.room.message', content: { msgtype: 'm.notice', body: 'x' } })).toBeUndefined();
    expect(commandResultIn({ type: 'm.room.message', content: { [EventType.CommandResult]: null } })).toBeUndefined();
    expect(commandResultIn({ type: 'm.room.message', content: { [EventType.CommandResult]: 'ok' } })).toBeUndefined();
    expect(commandResultIn({ type: EventType.Command, content: result })).toBeUndefined();
  });
});
