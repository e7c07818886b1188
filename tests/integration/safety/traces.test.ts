import { describe, expect, it } from 'vitest';
import { EventType } from '@espace-mineurs/protocol';
import { redactQueueTraces } from '../../../bot/src/retention/traces.ts';
import { answerTriage, entryOf, openAndJoin, send, waitForEntry } from '../../support/conversation.ts';
import { loginDemo } from '../../support/matrix.ts';
import { botHomeserver, matrixRequest, registerGuest, stack } from './support.ts';

describe('traces of a deleted conversation in the queue room (real Synapse, real bot)', () => {
  it('redacts the notes, the queue notice and every superseded version of the entry, once', async () => {
    const hs = botHomeserver();
    const guest = await registerGuest();
    const roomId = await openAndJoin(guest);
    await answerTriage(guest, roomId, ['parler']);
    await waitForEntry(roomId, 'police', 'queued', (entry) => entry.state === 'queued', { timeoutMs: 5000 }).catch(
      () => undefined,
    );
    const force = (await entryOf(roomId, 'police')) ? 'police' : 'gendarmerie';
    const queued = await waitForEntry(
      roomId,
      force,
      'queued with its notice',
      (entry) => entry.state === 'queued' && entry.queueEventId !== undefined,
    );
    const queueRoomId = stack().forces[force].queueRoomId;
    const agent = await loginDemo(force === 'police' ? 'pn-agent-2' : 'gn-agent-2');
    const note = await send(agent, queueRoomId, 'm.room.message', {
      msgtype: 'm.text',
      body: 'Note interne : a parlé de son collège',
      'm.relates_to': { rel_type: 'm.thread', event_id: queued.queueEventId },
    });
    await matrixRequest('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/leave`, {
      token: guest.accessToken,
      body: {},
    });
    await waitForEntry(roomId, force, 'abandoned', (entry) => entry.state === 'abandoned');

    const report = await redactQueueTraces(hs, {
      queueRoomId,
      conversationRoomId: roomId,
      queueEventId: queued.queueEventId!,
    });
    expect(report.notes).toBe(1);
    expect(report.notice).toBe(true);
    expect(report.versions).toBeGreaterThanOrEqual(1);

    const servedNote = await matrixRequest<{ content: Record<string, unknown> }>(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(queueRoomId)}/event/${encodeURIComponent(note)}`,
      { token: agent.accessToken },
    );
    expect(servedNote.body.content).toEqual({});
    const notice = await matrixRequest<{ content: Record<string, unknown> }>(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(queueRoomId)}/event/${encodeURIComponent(queued.queueEventId!)}`,
      { token: agent.accessToken },
    );
    expect(notice.body.content).toEqual({});
    // The current entry is the engine's and stays readable.
    expect((await entryOf(roomId, force))?.state).toBe('abandoned');
    const state = await matrixRequest<
      Array<{ type: string; state_key: string; unsigned?: { replaces_state?: string } }>
    >('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(queueRoomId)}/state`, { token: stack().bot.accessToken });
    const previous = state.body.find((event) => event.type === EventType.Conversation && event.state_key === roomId)!
      .unsigned!.replaces_state!;
    const old = await matrixRequest<{ content: Record<string, unknown> }>(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(queueRoomId)}/event/${encodeURIComponent(previous)}`,
      { token: stack().bot.accessToken },
    );
    expect(old.body.content).toEqual({});

    expect(
      await redactQueueTraces(hs, { queueRoomId, conversationRoomId: roomId, queueEventId: queued.queueEventId! }),
    ).toEqual({ notes: 0, notice: false, versions: 0 });
  });
});
