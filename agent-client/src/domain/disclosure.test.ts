import { describe, expect, it } from 'vitest';
import { Command } from '@espace-mineurs/protocol';
import {
  canDecide,
  checkDisclosureReason,
  effectiveStatus,
  pendingDisclosures,
  recentDisclosures,
  shouldAutoJoinRoom,
  type DisclosureRequest,
} from './disclosure.ts';
import { entry, GENDARME, POLICE_AGENT, POLICE_SUPERVISOR } from './fixtures.ts';
import type { Me } from './model.ts';

const NOW = 1_800_000_000_000;
const OTHER_SUPERVISOR: Me = {
  userId: '@pn-superviseur-2:test',
  force: 'police',
  role: 'supervisor',
  pseudonym: 'Camille',
};
const GN_SUPERVISOR: Me = {
  userId: '@gn-superviseur-1:test',
  force: 'gendarmerie',
  role: 'supervisor',
  pseudonym: 'Lou',
};
const BOT = '@espace-bot:test';
const BOTS = new Set([BOT]);

function request(overrides: Partial<DisclosureRequest> = {}): DisclosureRequest {
  return {
    id: 'd1',
    conversation: '!c:test',
    force: 'police',
    requester: POLICE_AGENT.userId,
    reason: 'Menace de suicide ce soir',
    requestedAt: NOW - 60_000,
    expiresAt: NOW + 60_000,
    status: 'pending',
    ...overrides,
  };
}

describe('disclosure requests in the client', () => {
  it('asks for a real reason before sending, as the protocol does', () => {
    expect(checkDisclosureReason('  danger  ')).toMatchObject({
      ok: false,
      problem: expect.stringContaining('10 caractères'),
    });
    expect(checkDisclosureReason('x'.repeat(1001))).toMatchObject({ ok: false });
    const ok = checkDisclosureReason('  Parle de se faire du mal ce soir ');
    expect(ok).toEqual({ ok: true, reason: 'Parle de se faire du mal ce soir' });
    if (ok.ok)
      expect(
        Command.safeParse({ action: 'disclosure_request', requestId: 'r', conversation: '!c:test', reason: ok.reason })
          .success,
      ).toBe(true);
  });

  it('offers the decision only to another supervisor of the same force, while pending', () => {
    expect(canDecide(request(), POLICE_SUPERVISOR, NOW)).toBe(true);
    expect(canDecide(request(), POLICE_AGENT, NOW)).toBe(false);
    expect(canDecide(request(), GN_SUPERVISOR, NOW)).toBe(false);
    expect(canDecide(request({ requester: POLICE_SUPERVISOR.userId }), POLICE_SUPERVISOR, NOW)).toBe(false);
    expect(canDecide(request({ requester: POLICE_SUPERVISOR.userId }), OTHER_SUPERVISOR, NOW)).toBe(true);
    expect(canDecide(request({ status: 'approved' }), POLICE_SUPERVISOR, NOW)).toBe(false);
    // Expired but not swept by the bot yet: no longer offered.
    expect(effectiveStatus(request({ expiresAt: NOW }), NOW)).toBe('expired');
    expect(canDecide(request({ expiresAt: NOW }), POLICE_SUPERVISOR, NOW)).toBe(false);
  });

  it('lists the force’s pending requests oldest first, and the day’s decisions apart', () => {
    const list = [
      request({ id: 'late', requestedAt: NOW - 1_000 }),
      request({ id: 'early', requestedAt: NOW - 9_000 }),
      request({ id: 'gn', force: 'gendarmerie' }),
      request({ id: 'done', status: 'refused', decidedAt: NOW - 5_000 }),
      request({ id: 'old', status: 'approved', decidedAt: NOW - 2 * 86_400_000 }),
    ];
    expect(pendingDisclosures(list, POLICE_SUPERVISOR, NOW).map((item) => item.id)).toEqual(['early', 'late']);
    expect(recentDisclosures(list, POLICE_SUPERVISOR, NOW).map((item) => item.id)).toEqual(['done']);
    expect(pendingDisclosures(list, GENDARME, NOW).map((item) => item.id)).toEqual(['gn']);
  });
});

describe('which invitations the client accepts by itself', () => {
  it('joins a room the bot created and invited us to (a disclosure room), never one someone else created', () => {
    expect(shouldAutoJoinRoom({ inviter: BOT, creator: BOT, bots: BOTS, me: POLICE_AGENT })).toBe(true);
    expect(shouldAutoJoinRoom({ inviter: BOT, creator: '@intrus:test', bots: BOTS, me: POLICE_AGENT })).toBe(false);
    expect(shouldAutoJoinRoom({ inviter: '@intrus:test', creator: BOT, bots: BOTS, me: POLICE_AGENT })).toBe(false);
    expect(shouldAutoJoinRoom({ creator: BOT, bots: BOTS, me: POLICE_AGENT })).toBe(false);
  });

  it('keeps the conversation rules for a conversation of the force', () => {
    const mine = entry({ state: 'assigned', assignee: POLICE_AGENT.userId });
    expect(shouldAutoJoinRoom({ inviter: BOT, creator: BOT, bots: BOTS, me: POLICE_AGENT, entry: mine })).toBe(true);
    const closed = entry({ state: 'closed', assignee: POLICE_AGENT.userId });
    expect(shouldAutoJoinRoom({ inviter: BOT, creator: BOT, bots: BOTS, me: POLICE_AGENT, entry: closed })).toBe(false);
  });

  it("federated: accepts the public server's bot inviting to the young person's room, never an unlisted account", () => {
    const publicBot = '@espace-bot:public.test';
    const forceBot = '@espace-bot:police.test';
    const bots = new Set([publicBot, forceBot]);
    const mine = entry({ state: 'assigned', assignee: POLICE_AGENT.userId });
    expect(shouldAutoJoinRoom({ inviter: publicBot, creator: publicBot, bots, me: POLICE_AGENT, entry: mine })).toBe(
      true,
    );
    expect(shouldAutoJoinRoom({ inviter: forceBot, creator: forceBot, bots, me: POLICE_AGENT })).toBe(true);
    expect(
      shouldAutoJoinRoom({
        inviter: '@espace-bot:other.test',
        creator: publicBot,
        bots,
        me: POLICE_AGENT,
        entry: mine,
      }),
    ).toBe(false);
  });
});
