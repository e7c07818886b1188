import { describe, expect, it } from 'vitest';
import { loginDemo, matrixRequest, registerGuest, stack } from '../support/matrix.ts';
import { command, join, openAndJoin, say, waitForEntry, answerTriage } from '../support/conversation.ts';

const room = (roomId: string) => `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;

/**
 * What Synapse lets a guest tell the room about reading and typing (issue 15: « read receipts and typing where a
 * guest may »). Synapse 1.160 authenticates /typing, /receipt and /read_markers without `allow_guest`, so a
 * guest gets 403 M_GUEST_ACCESS_FORBIDDEN on all three while it may read, send and sync: the young person's
 * site therefore sends neither, and the agent sees no « Lu » or « écrit… » from the young person. This test
 * fails the day Synapse starts accepting them (then the site can send them: web/README.md says where).
 */
describe('a guest’s read receipts and typing notices', () => {
  it('are refused by Synapse with M_GUEST_ACCESS_FORBIDDEN, while the agent’s own are accepted', async () => {
    const guest = await registerGuest();
    const roomId = await openAndJoin(guest, { context: 'ecole' });
    await answerTriage(guest, roomId, ['1', '3', '2', '3', '75011']);
    await waitForEntry(roomId, 'police', 'queued', (candidate) => candidate.state === 'queued');
    const agent = await loginDemo('pn-agent-1');
    expect(
      await command(agent, stack().forces.police.queueRoomId, { action: 'claim', conversation: roomId }),
    ).toMatchObject({ ok: true });
    await join(agent, roomId);
    const agentMessage = await say(agent, roomId, 'Bonjour, je suis là.');

    const asGuest = { token: guest.accessToken };
    const typing = await matrixRequest('PUT', `${room(roomId)}/typing/${encodeURIComponent(guest.userId)}`, {
      ...asGuest,
      body: { typing: true, timeout: 10_000 },
    });
    const receipt = await matrixRequest('POST', `${room(roomId)}/receipt/m.read/${encodeURIComponent(agentMessage)}`, {
      ...asGuest,
      body: {},
    });
    const marker = await matrixRequest('POST', `${room(roomId)}/read_markers`, {
      ...asGuest,
      body: { 'm.fully_read': agentMessage, 'm.read': agentMessage },
    });
    for (const refused of [typing, receipt, marker]) {
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ errcode: 'M_GUEST_ACCESS_FORBIDDEN' });
    }
    // The same calls from a registered account (the agent) work: the refusal is about guests, not the room.
    const asAgent = { token: agent.accessToken };
    expect(
      (
        await matrixRequest('PUT', `${room(roomId)}/typing/${encodeURIComponent(agent.userId)}`, {
          ...asAgent,
          body: { typing: false },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await matrixRequest('POST', `${room(roomId)}/receipt/m.read/${encodeURIComponent(agentMessage)}`, {
          ...asAgent,
          body: {},
        })
      ).status,
    ).toBe(200);
    // And the guest still reads and sends.
    const sent = await matrixRequest('PUT', `${room(roomId)}/send/m.room.message/guest-receipts-${Date.now()}`, {
      ...asGuest,
      body: { msgtype: 'm.text', body: 'merci' },
    });
    expect(sent.status).toBe(200);
  });
});
