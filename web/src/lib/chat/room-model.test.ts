import { EventType } from '@espace-mineurs/protocol';
import { describe, expect, it } from 'vitest';
import { RoomModel } from './room-model.ts';
import type { RawEvent } from './timeline.ts';

const ME = '@guest:hs';
const BOT = '@bot:hs';
const AGENT = '@agent:hs';

const create: RawEvent = { type: 'm.room.create', state_key: '', sender: BOT, content: {} };
const member = (userId: string, displayname?: string, membership = 'join'): RawEvent => ({
  type: 'm.room.member',
  state_key: userId,
  sender: userId,
  content: { membership, ...(displayname ? { displayname } : {}) },
});
const status = (sender: string, updatedAt: number, state = 'queued'): RawEvent => ({
  type: EventType.Status,
  state_key: '',
  sender,
  content: { state, agentJoined: false, updatedAt },
});
let counter = 0;
const text = (sender: string, body: string, ts: number, extra: Partial<RawEvent> = {}): RawEvent => ({
  event_id: `$${++counter}`,
  type: 'm.room.message',
  sender,
  origin_server_ts: ts,
  content: { msgtype: 'm.text', body },
  ...extra,
});
const edit = (sender: string, target: string, body: string, ts: number): RawEvent => ({
  event_id: `$${++counter}`,
  type: 'm.room.message',
  sender,
  origin_server_ts: ts,
  content: {
    msgtype: 'm.text',
    body: `* ${body}`,
    'm.new_content': { msgtype: 'm.text', body },
    'm.relates_to': { rel_type: 'm.replace', event_id: target },
  },
});

function model(): RoomModel {
  const room = new RoomModel(ME);
  room.applyState([status(BOT, 1), create, member(AGENT, 'Sam')]);
  return room;
}

describe('RoomModel', () => {
  it('trusts the status only from the room’s creator, whatever order the state comes in, and never an older one', () => {
    const room = model();
    expect(room.status?.updatedAt).toBe(1);
    room.applyTimeline([status(AGENT, 9, 'closed')]);
    expect(room.status?.state).toBe('queued');
    room.applyTimeline([status(BOT, 5, 'assigned'), status(BOT, 3, 'triage')]);
    expect(room.status).toMatchObject({ state: 'assigned', updatedAt: 5 });
  });

  it('names agents from their membership, and keeps history pages from rewriting the present', () => {
    const room = model();
    room.applyTimeline([text(AGENT, 'Bonjour', 10)]);
    expect(room.messages[0]).toMatchObject({ author: 'agent', senderName: 'Sam' });
    room.applyTimeline([status(BOT, 0, 'triage'), text(BOT, 'Bienvenue', 2)], true);
    expect(room.status?.state).toBe('queued');
    expect(room.messages.map((message) => message.body)).toEqual(['Bienvenue', 'Bonjour']);
  });

  it('applies an edit from the original’s sender, in place, and ignores one from anyone else or an older one', () => {
    const room = model();
    const original = text(AGENT, 'mardi', 10);
    room.applyTimeline([original, text(ME, 'ok', 11)]);
    room.applyTimeline([edit(BOT, original.event_id!, 'piraté', 12)]);
    expect(room.messages[0]?.body).toBe('mardi');
    room.applyTimeline([edit(AGENT, original.event_id!, 'mercredi', 14), edit(AGENT, original.event_id!, 'lundi', 13)]);
    expect(room.messages.map((message) => message.body)).toEqual(['mercredi', 'ok']);
    expect(room.messages[0]).toMatchObject({ edited: true });
  });

  it('shows the edited text of an original loaded later with its bundled edit', () => {
    const room = model();
    const original = text(AGENT, 'mardi', 10);
    original.unsigned = { 'm.relations': { 'm.replace': edit(AGENT, original.event_id!, 'mercredi', 12) } };
    room.applyTimeline([original], true);
    expect(room.messages[0]).toMatchObject({ body: 'mercredi', edited: true });
  });

  it('replaces a redacted line by « Message supprimé », live (content.redacts or top-level) and when loaded already redacted', () => {
    const room = model();
    const first = text(AGENT, 'erreur', 10);
    const second = text(AGENT, 'autre erreur', 11);
    room.applyTimeline([first, second]);
    room.applyTimeline([
      { event_id: '$r1', type: 'm.room.redaction', sender: AGENT, content: { redacts: first.event_id } },
      { event_id: '$r2', type: 'm.room.redaction', sender: AGENT, redacts: second.event_id, content: {} },
    ]);
    expect(room.messages.map((message) => [message.body, message.redacted])).toEqual([
      ['Message supprimé', true],
      ['Message supprimé', true],
    ]);
    room.applyTimeline([edit(AGENT, first.event_id!, 'revenu', 12)]);
    expect(room.messages[0]?.body).toBe('Message supprimé');
    const old = new RoomModel(ME);
    old.applyState([create]);
    old.applyTimeline(
      [{ ...text(AGENT, '', 5), content: {}, unsigned: { redacted_because: { type: 'm.room.redaction' } } }],
      true,
    );
    expect(old.messages[0]).toMatchObject({ body: 'Message supprimé', redacted: true, author: 'agent' });
  });

  it('never shows an edit as a line of its own', () => {
    const room = model();
    room.applyTimeline([edit(AGENT, '$not-loaded', 'mercredi', 12)]);
    expect(room.messages).toEqual([]);
  });

  it('shows staff typing and read receipts, never the young person’s own or the service’s', () => {
    const room = model();
    const mine = text(ME, 'salut', 20);
    room.applyTimeline([mine]);
    room.applyEphemeral([{ type: 'm.typing', content: { user_ids: [ME, BOT] } }]);
    expect(room.typing).toBe(false);
    room.applyEphemeral([{ type: 'm.typing', content: { user_ids: [AGENT] } }]);
    expect(room.typing).toBe(true);
    room.applyEphemeral([{ type: 'm.receipt', content: { [mine.event_id!]: { 'm.read': { [BOT]: { ts: 30 } } } } }]);
    expect(room.readUpTo).toBe(0);
    room.applyEphemeral([{ type: 'm.receipt', content: { [mine.event_id!]: { 'm.read': { [AGENT]: { ts: 30 } } } } }]);
    expect(room.readUpTo).toBe(20);
  });

  it('keeps the sent line shown until its echo, once', () => {
    const room = model();
    room.addSent({ eventId: '$s', author: 'me', body: 'coucou', ts: 50, txnId: 't.1' });
    room.applyTimeline([
      {
        event_id: '$s',
        type: 'm.room.message',
        sender: ME,
        origin_server_ts: 49,
        content: { msgtype: 'm.text', body: 'coucou' },
        unsigned: { transaction_id: 't.1' },
      },
    ]);
    expect(room.messages).toHaveLength(1);
    expect(room.messages[0]).toMatchObject({ ts: 49, txnId: 't.1' });
  });
});
