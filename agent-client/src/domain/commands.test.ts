import { describe, expect, it } from 'vitest';
import { Command } from '@espace-mineurs/protocol';
import {
  attachResults,
  newRequestId,
  pendingState,
  SLOW_AFTER_MS,
  withRequestId,
  type PendingCommand,
} from './commands.ts';

describe('commands', () => {
  it('builds commands the protocol accepts', () => {
    const requestId = newRequestId();
    expect(requestId.length).toBeLessThanOrEqual(64);
    for (const input of [
      { action: 'claim', conversation: '!a:test' },
      { action: 'duty', onDuty: true, capacity: 3 },
      { action: 'close', conversation: '!a:test', outcome: '3018' },
      { action: 'transfer', conversation: '!a:test', to: { force: 'gendarmerie' }, mode: 'warm', comment: 'contexte' },
      { action: 'supervise', conversation: '!a:test' },
    ] as const) {
      expect(Command.safeParse(withRequestId(input, requestId)).success).toBe(true);
    }
  });

  it('gives distinct request IDs', () => {
    const ids = new Set(Array.from({ length: 200 }, () => newRequestId()));
    expect(ids.size).toBe(200);
  });

  it('follows a command from waiting to its result, and says when the service is slow', () => {
    const sent: PendingCommand = { requestId: 'r1', action: 'claim', conversation: '!a:test', sentAt: 0 };
    expect(pendingState(sent, 100)).toBe('waiting');
    expect(pendingState(sent, SLOW_AFTER_MS + 1)).toBe('slow');
    const [refused] = attachResults(
      [sent],
      new Map([['r1', { requestId: 'r1', action: 'claim', ok: false, code: 'ALREADY_CLAIMED', ts: 5 }]]),
    );
    expect(refused && pendingState(refused, 10)).toBe('refused');
    expect(pendingState({ ...sent, sendError: 'UNSENT' }, 0)).toBe('failed');
  });

  it('returns the same array when no result matches (no needless re-render)', () => {
    const pending = [{ requestId: 'r1', action: 'claim' as const, sentAt: 0 }];
    expect(attachResults(pending, new Map())).toBe(pending);
  });
});
