import { describe, expect, it } from 'vitest';
import { loginDemo, registerGuest, stack } from '../support/matrix.ts';
import {
  answerTriage,
  entryOf,
  openAndJoin,
  say,
  timeline,
  waitForEntry,
  waitForMessages,
} from '../support/conversation.ts';

/** The quick exit's beacon (web/src/lib/chat/leave-beacon.ts): a text/plain body holding the token, no headers. */
function beacon(body: string): Promise<Response> {
  return fetch(`${stack().botUrl}/api/conversations/current/leave`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8' },
    body,
  });
}

describe('POST /api/conversations/current/leave (the quick exit)', () => {
  it('requires authentication', async () => {
    expect((await beacon('')).status).toBe(401);
    expect((await beacon('syt_not_a_real_token')).status).toBe(401);
  });

  it('marks a queued conversation as left and tells the force at once; writing again clears it', async () => {
    const guest = await registerGuest();
    const roomId = await openAndJoin(guest, { context: 'ecole' });
    await answerTriage(guest, roomId, ['2', '3', '2', '4', '94000']);
    const queued = await waitForEntry(roomId, 'police', 'queued', (entry) => entry.state === 'queued');
    expect((await beacon(guest.accessToken)).status).toBe(200);
    const left = await entryOf(roomId, 'police');
    expect(left).toMatchObject({ state: 'queued' });
    expect(left?.guestLeftAt).toBeGreaterThan(0);
    const agent = await loginDemo('pn-agent-2');
    const queue = stack().forces.police.queueRoomId;
    await waitForMessages(agent, queue, 'the leave notice', (events) =>
      events.some((event) =>
        String(event.content.body ?? '').startsWith(
          `Conversation n°${queued.ticket} : le jeune a quitté la conversation`,
        ),
      ),
    );
    // Nothing of it in the young person's room.
    expect(JSON.stringify(await timeline(guest, roomId))).not.toContain('quitté');

    // Back with the tab still open: the young person writes again.
    await say(guest, roomId, 'je suis revenu');
    await waitForEntry(
      roomId,
      'police',
      'the mark cleared',
      (entry) => entry.guestLeftAt === undefined && entry.state === 'queued',
    );
    await waitForMessages(agent, queue, 'the return notice', (events) =>
      events.some(
        (event) =>
          String(event.content.body ?? '') ===
          `Conversation n°${queued.ticket} : le jeune est revenu dans la conversation.`,
      ),
    );
  });

  it('ends a conversation still in triage: nobody was told about it yet', async () => {
    const guest = await registerGuest();
    const roomId = await openAndJoin(guest, { context: 'ecole' });
    expect((await beacon(guest.accessToken)).status).toBe(200);
    await waitForMessages(guest, roomId, 'the closed status', (events) =>
      events.some((event) => event.type === 'fr.espace-mineurs.status' && event.content.state === 'closed'),
    );
  });
});
