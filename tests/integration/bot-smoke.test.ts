import { describe, expect, it } from 'vitest';
import { registerGuest } from '../support/matrix.ts';
import { api, botMessages, openAndJoin, waitForMessages } from '../support/conversation.ts';

describe('smoke', () => {
  it('opens a conversation and posts the first question', async () => {
    const guest = await registerGuest();
    const roomId = await openAndJoin(guest);
    const events = await waitForMessages(guest, roomId, 'first question', (events) => botMessages(events).length >= 2);
    expect(botMessages(events).length).toBe(2);
    const current = await api('GET', '/api/conversations/current', { token: guest.accessToken });
    expect(current.status).toBe(200);
  });
});
