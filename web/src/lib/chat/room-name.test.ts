import { describe, expect, it } from 'vitest';
import { RoomModel } from './room-model.ts';
import type { RawEvent } from './timeline.ts';

/**
 * The bot names each conversation room « Conversation n° 12 » for staff in Element (bot/src/queue/room-label.ts).
 * The young person's page must not show that name, nor turn the rename into a line of their conversation.
 */
describe('the staff-facing room name', () => {
  it('is neither a line of the timeline nor anything the page shows', () => {
    const room = new RoomModel('@guest:hs');
    room.applyState([{ type: 'm.room.create', state_key: '', sender: '@bot:hs', content: {} }]);
    const rename: RawEvent = {
      event_id: '$name',
      type: 'm.room.name',
      state_key: '',
      sender: '@bot:hs',
      origin_server_ts: 5,
      content: { name: 'Conversation n° 12' },
    };
    room.applyTimeline([
      rename,
      {
        event_id: '$m',
        type: 'm.room.message',
        sender: '@bot:hs',
        origin_server_ts: 6,
        content: { msgtype: 'm.text', body: 'Bienvenue' },
      },
    ]);
    expect(room.messages.map((message) => message.body)).toEqual(['Bienvenue']);
    expect(JSON.stringify(room.messages)).not.toContain('Conversation n°');
  });
});
