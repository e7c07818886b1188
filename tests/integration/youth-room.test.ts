import { describe, expect, it } from 'vitest';
import { EventType } from '@espace-mineurs/protocol';
import { loginDemo, matrixRequest, registerGuest, stack } from '../support/matrix.ts';
import { answerTriage, command, join, openAndJoin, say, waitForEntry } from '../support/conversation.ts';

const room = (roomId: string) => `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;

describe("a young person's room", () => {
  it('is created as docs/architecture.md says: invite only, guests may join, not federated, power levels of Principles 3', async () => {
    const guest = await registerGuest();
    const roomId = await openAndJoin(guest);
    const state = async (type: string) =>
      (
        await matrixRequest<Record<string, unknown>>('GET', `${room(roomId)}/state/${type}/`, {
          token: guest.accessToken,
        })
      ).body;
    expect(await state('m.room.join_rules')).toEqual({ join_rule: 'invite' });
    expect(await state('m.room.guest_access')).toEqual({ guest_access: 'can_join' });
    const create = await state('m.room.create');
    expect(create['m.federate']).toBe(false);
    expect(create.room_version).toBe('11');
    const levels = (await state('m.room.power_levels')) as Record<string, unknown> & {
      events: Record<string, number>;
      users: Record<string, number>;
    };
    expect(levels.users).toEqual({ [stack().bot.userId]: 100 });
    expect(levels).toMatchObject({
      users_default: 0,
      events_default: 0,
      state_default: 100,
      invite: 50,
      kick: 50,
      ban: 50,
      redact: 50,
    });
    expect(levels.events).toMatchObject({
      'm.room.redaction': 50,
      'm.room.power_levels': 100,
      'm.room.join_rules': 100,
      'm.room.guest_access': 100,
      'm.room.history_visibility': 100,
      'm.room.encryption': 100,
      'm.room.retention': 100,
      'm.space.parent': 100,
      'm.room.name': 100,
      'm.room.topic': 100,
      'm.room.avatar': 100,
    });
    const directory = await matrixRequest<{ visibility: string }>(
      'GET',
      `/_matrix/client/v3/directory/list/room/${encodeURIComponent(roomId)}`,
      { token: guest.accessToken },
    );
    expect(directory.body.visibility).toBe('private');
  });

  it("refuses the guest's attempts to change power levels, join rules or the name, to invite, or to redact an agent's message", async () => {
    const guest = await registerGuest();
    const roomId = await openAndJoin(guest, { context: 'ecole' });
    await answerTriage(guest, roomId, ['1', '3', '2', '3', '75011']);
    const entry = await waitForEntry(roomId, 'police', 'queued', (candidate) => candidate.state === 'queued');
    const agent = await loginDemo('pn-agent-1');
    const claimed = await command(agent, stack().forces.police.queueRoomId, { action: 'claim', conversation: roomId });
    expect(claimed).toMatchObject({ ok: true });
    await join(agent, roomId);
    const agentMessage = await say(agent, roomId, 'Bonjour, je suis là.');

    const attempts = [
      matrixRequest('PUT', `${room(roomId)}/state/m.room.power_levels/`, {
        token: guest.accessToken,
        body: { users: { [guest.userId]: 100 } },
      }),
      matrixRequest('PUT', `${room(roomId)}/state/m.room.join_rules/`, {
        token: guest.accessToken,
        body: { join_rule: 'public' },
      }),
      matrixRequest('PUT', `${room(roomId)}/state/m.room.name/`, {
        token: guest.accessToken,
        body: { name: 'renamed' },
      }),
      matrixRequest('PUT', `${room(roomId)}/state/${EventType.Status}/`, {
        token: guest.accessToken,
        body: { state: 'closed', agentJoined: false, updatedAt: 1 },
      }),
      matrixRequest('POST', `${room(roomId)}/invite`, {
        token: guest.accessToken,
        body: { user_id: stack().demo[1]!.userId },
      }),
      matrixRequest('PUT', `${room(roomId)}/redact/${encodeURIComponent(agentMessage)}/r${Date.now()}`, {
        token: guest.accessToken,
        body: {},
      }),
    ];
    const results = await Promise.all(attempts);
    for (const result of results) {
      expect(result.status).toBe(403);
      expect(result.body.errcode).toMatch(/^M_(FORBIDDEN|GUEST_ACCESS_FORBIDDEN)$/);
    }
    // The agent (power 50) may redact; the conversation goes on and is closed cleanly.
    expect(entry.ticket).toBeGreaterThan(0);
    expect(
      await command(agent, stack().forces.police.queueRoomId, {
        action: 'close',
        conversation: roomId,
        outcome: 'none',
      }),
    ).toMatchObject({ ok: true });
  });

  it('refuses a guest reading or joining a room that is not theirs', async () => {
    const owner = await registerGuest();
    const roomId = await openAndJoin(owner);
    const intruder = await registerGuest();
    const read = await matrixRequest('GET', `${room(roomId)}/messages?dir=b&limit=10`, { token: intruder.accessToken });
    expect(read.status).toBe(403);
    const joined = await matrixRequest('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {
      token: intruder.accessToken,
      body: {},
    });
    expect(joined.status).toBe(403);
    const state = await matrixRequest('GET', `${room(roomId)}/state`, { token: intruder.accessToken });
    expect(state.status).toBe(403);
  });
});
