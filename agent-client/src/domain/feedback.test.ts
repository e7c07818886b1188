import { describe, expect, it } from 'vitest';
import type { PendingCommand } from './commands.ts';
import { feedbackText, onScreenWording, visibleFeedback } from './feedback.ts';
import { entry, POLICE_AGENT } from './fixtures.ts';

const NOW = 100_000;
let id = 0;
function command(
  action: PendingCommand['action'],
  conversation: string | undefined,
  result?: { ok: boolean; code?: string; message?: string },
): PendingCommand {
  return {
    requestId: `r${id++}`,
    action,
    ...(conversation ? { conversation } : {}),
    sentAt: NOW - 1000,
    ...(result ? { result: { requestId: 'x', action, ts: NOW, ...result } } : {}),
  };
}

describe('feedbackText', () => {
  it('names the on-screen control, never a text command', () => {
    const text = feedbackText({
      requestId: 'a',
      action: 'claim',
      ok: false,
      code: 'AT_CAPACITY',
      message: 'Vous avez déjà le nombre maximum de conversations (!service N pour changer).',
      ts: 0,
    });
    expect(text).toContain('« Capacité »');
    expect(text).not.toContain('!service');
  });
  it("keeps the bot's sentence when it names no command, and drops it when it does (unknown code)", () => {
    expect(
      feedbackText({
        requestId: 'a',
        action: 'claim',
        ok: false,
        code: 'ALREADY_CLAIMED',
        message: 'Un ou une collègue a déjà pris cette conversation.',
        ts: 0,
      }),
    ).toBe('Un ou une collègue a déjà pris cette conversation.');
    expect(
      feedbackText({
        requestId: 'a',
        action: 'close',
        ok: false,
        code: 'SOMETHING',
        message: 'Tapez !clore 12 aide',
        ts: 0,
      }),
    ).not.toContain('!clore');
  });
});

describe('onScreenWording', () => {
  it("replaces the bot's text command by the button that does the same here", () => {
    const message =
      "Demande de levée d'anonymat d-3 (conversation n°12) transmise aux superviseurs. Pour la retirer : !retirer-levee 12 d-3";
    expect(feedbackText({ requestId: 'a', action: 'disclosure_request', ok: true, ref: 'd-3', message, ts: 0 })).toBe(
      "Demande de levée d'anonymat d-3 (conversation n°12) transmise aux superviseurs. Pour la retirer : le bouton « Retirer ma demande »",
    );
    expect(onScreenWording('Trop de conversations (!service N pour changer).')).toBe(
      'Trop de conversations (« Capacité » et « En service » en haut du menu).',
    );
    expect(onScreenWording('Tapez !inconnu 3')).toBeUndefined();
  });
});

describe('visibleFeedback', () => {
  const a = entry({ state: 'assigned', assignee: POLICE_AGENT.userId });
  it('hides successes and requests still quickly waiting, shows refusals and slow ones', () => {
    const refused = command('claim', '!x', { ok: false, code: 'ALREADY_CLAIMED' });
    const slow = { ...command('close', '!s'), sentAt: NOW - 60_000 };
    expect(
      visibleFeedback([command('duty', undefined, { ok: true }), command('export', '!w'), refused, slow], NOW, {
        mine: [],
      }),
    ).toEqual([refused, slow]);
  });
  it('drops a refusal once the same request was sent again and succeeded', () => {
    const refused = command('claim', a.roomId, { ok: false, code: 'AT_CAPACITY' });
    const retried = command('claim', a.roomId, { ok: true });
    expect(visibleFeedback([refused, retried], NOW, { mine: [] })).toEqual([]);
  });
  it("drops a refused claim once the conversation is the agent's anyway", () => {
    expect(
      visibleFeedback([command('claim', a.roomId, { ok: false, code: 'NOT_QUEUED' })], NOW, { mine: [a] }),
    ).toEqual([]);
  });
  it('drops a capacity refusal once the agent changed their duty, keeps others', () => {
    const capacity = command('claim', '!y', { ok: false, code: 'AT_CAPACITY' });
    const colleague = command('claim', '!z', { ok: false, code: 'ALREADY_CLAIMED' });
    expect(visibleFeedback([capacity, colleague, command('duty', undefined, { ok: true })], NOW, { mine: [] })).toEqual(
      [colleague],
    );
  });
});
