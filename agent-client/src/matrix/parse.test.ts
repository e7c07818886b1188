import { describe, expect, it } from 'vitest';
import { EventType } from '@espace-mineurs/protocol';
import { SafetyEventType } from '@espace-mineurs/protocol';
import type { StaffMember } from './model.ts';
import {
  buildTimeline,
  DELETED_LABEL,
  parseCommandResult,
  parseDisclosure,
  parseDisclosureRequests,
  parseEntries,
  parseLegalHolds,
  parseNote,
  parseStaff,
  parseStatus,
  toTimelineItem,
  YOUNG_PERSON_LABEL,
} from './parse.ts';

const DISCLOSURE_EVENT = SafetyEventType.Disclosure;

const BOT = '@espace-bot:test';
const BOTS = new Set([BOT]);
const AGENT = '@pn-agent-1:test';
const staff = new Map<string, StaffMember>([
  [AGENT, { userId: AGENT, force: 'police', role: 'agent', pseudonym: 'Alex', active: true }],
  [
    '@pn-superviseur-1:test',
    { userId: '@pn-superviseur-1:test', force: 'police', role: 'supervisor', pseudonym: 'Dominique', active: true },
  ],
]);

const validEntry = {
  roomId: '!y:test',
  ticket: 3,
  state: 'queued',
  force: 'police',
  priority: 'normal',
  createdAt: 1,
  queuedAt: 2,
};

describe('trust by sender', () => {
  it('keeps conversation entries from the bot only, whose state key matches the room', () => {
    const entries = parseEntries(
      [
        { type: EventType.Conversation, sender: BOT, state_key: '!y:test', content: validEntry },
        { type: EventType.Conversation, sender: AGENT, state_key: '!y:test', content: validEntry },
        { type: EventType.Conversation, sender: BOT, state_key: '!other:test', content: validEntry },
        { type: EventType.Conversation, sender: BOT, state_key: '!z:test', content: { roomId: '!z:test' } },
      ],
      BOTS,
    );
    expect(entries).toHaveLength(1);
  });

  it('keeps staff entries written by the bot', () => {
    const parsed = parseStaff(
      [
        {
          type: EventType.Staff,
          sender: BOT,
          state_key: 'pn-agent-1:test',
          content: { force: 'police', role: 'agent', pseudonym: 'Alex' },
        },
        {
          type: EventType.Staff,
          sender: '@intruder:test',
          state_key: 'intruder:test',
          content: { force: 'police', role: 'supervisor', pseudonym: 'X' },
        },
      ],
      BOTS,
    );
    expect([...parsed.keys()]).toEqual([AGENT]);
  });

  it('reads command results in either shape, from the bot only', () => {
    const result = { requestId: 'ac-1', action: 'claim', ok: false, code: 'ALREADY_CLAIMED' };
    expect(parseCommandResult({ type: EventType.CommandResult, sender: BOT, content: result }, BOTS)?.code).toBe(
      'ALREADY_CLAIMED',
    );
    expect(
      parseCommandResult(
        {
          type: 'm.room.message',
          sender: BOT,
          content: { msgtype: 'm.notice', body: 'x', [EventType.CommandResult]: result },
        },
        BOTS,
      )?.ok,
    ).toBe(false);
    expect(parseCommandResult({ type: EventType.CommandResult, sender: AGENT, content: result }, BOTS)).toBeUndefined();
  });
});

describe('notes', () => {
  const note = (sender: string, root: string) => ({
    event_id: '$n',
    type: 'm.room.message',
    sender,
    origin_server_ts: 5,
    content: { msgtype: 'm.text', body: 'à surveiller', 'm.relates_to': { rel_type: 'm.thread', event_id: root } },
  });
  it('reads a staff message in the thread of the queue entry', () => {
    expect(parseNote(note(AGENT, '$root'), '$root', staff, AGENT)).toMatchObject({
      body: 'à surveiller',
      authorLabel: 'Alex',
      mine: true,
      whisper: false,
    });
    expect(parseNote(note('@pn-superviseur-1:test', '$root'), '$root', staff, AGENT)?.whisper).toBe(true);
  });
  it('ignores other threads and non-staff senders', () => {
    expect(parseNote(note(AGENT, '$other'), '$root', staff, AGENT)).toBeUndefined();
    expect(parseNote(note('@guest:test', '$root'), '$root', staff, AGENT)).toBeUndefined();
  });
});

describe('timeline', () => {
  const ctx = { bots: BOTS, myUserId: AGENT, staff };
  it('labels the young person "Jeune", never with their display name', () => {
    const item = toTimelineItem(
      {
        event_id: '$1',
        type: 'm.room.message',
        sender: '@123:test',
        content: { msgtype: 'm.text', body: 'salut', displayname: 'Prénom Nom' },
      },
      ctx,
    );
    expect(item).toMatchObject({ author: 'young', authorLabel: YOUNG_PERSON_LABEL, body: 'salut', kind: 'message' });
  });
  it('names the other force’s agent as such once the room’s guest is known, never « Jeune »', () => {
    const withGuest = { ...ctx, guest: '@123:test', otherForceLabel: 'Agent de la Police nationale' };
    const message = (sender: string) => ({
      event_id: `$m${sender}`,
      type: 'm.room.message',
      sender,
      content: { msgtype: 'm.text', body: 'Je vous confie à la gendarmerie.' },
    });
    expect(toTimelineItem(message('@pn-agent-1:police'), withGuest)).toMatchObject({
      author: 'agent',
      authorLabel: 'Agent de la Police nationale',
    });
    expect(toTimelineItem(message('@123:test'), withGuest)).toMatchObject({ author: 'young' });
    const left = {
      event_id: '$left',
      type: 'm.room.member',
      sender: BOT,
      state_key: '@pn-agent-1:police',
      content: { membership: 'leave' },
    };
    expect(toTimelineItem(left, withGuest)?.body).toBe('Agent de la Police nationale a quitté la conversation');
    // Before the room's marker is synced, an unknown sender is still the young person.
    expect(toTimelineItem(message('@pn-agent-1:police'), ctx)).toMatchObject({ author: 'young' });
  });
  it('recognises the service, me and triage messages', () => {
    expect(
      toTimelineItem(
        {
          event_id: '$2',
          type: 'm.room.message',
          sender: BOT,
          content: { msgtype: 'm.notice', body: 'Question', [`fr.espace-mineurs.triage_question`]: {} },
        },
        ctx,
      ),
    ).toMatchObject({ author: 'service', kind: 'triage' });
    expect(
      toTimelineItem(
        { event_id: '$3', type: 'm.room.message', sender: AGENT, content: { msgtype: 'm.text', body: 'Bonjour' } },
        ctx,
      ),
    ).toMatchObject({ author: 'me', authorLabel: 'Alex' });
  });
  it('keeps hostile bodies as plain strings (rendering is text-only)', () => {
    const body = '<img src=x onerror=alert(1)>';
    expect(
      toTimelineItem(
        {
          event_id: '$4',
          type: 'm.room.message',
          sender: '@1:test',
          content: { msgtype: 'm.text', body, format: 'org.matrix.custom.html', formatted_body: body },
        },
        ctx,
      )?.body,
    ).toBe(body);
  });
  it("shows a join once: a member event that only changes a joined member's profile is no second join", () => {
    const member = (eventId: string, content: Record<string, unknown>, prev?: Record<string, unknown>) => ({
      event_id: eventId,
      type: 'm.room.member',
      sender: AGENT,
      state_key: AGENT,
      content,
      ...(prev ? { prev_content: prev } : {}),
    });
    const items = buildTimeline(
      [
        member('$j1', { membership: 'join' }, { membership: 'invite' }),
        member('$j2', { membership: 'join', displayname: 'Alex' }, { membership: 'join' }),
        member('$l1', { membership: 'leave' }, { membership: 'join' }),
        member('$j3', { membership: 'join' }, { membership: 'leave' }),
      ],
      ctx,
    );
    expect(items.map((item) => [item.eventId, item.body])).toEqual([
      ['$j1', 'Alex a rejoint la conversation'],
      ['$l1', 'Alex a quitté la conversation'],
      ['$j3', 'Alex a rejoint la conversation'],
    ]);
  });
  it('skips unknown events and empty bodies', () => {
    expect(toTimelineItem({ event_id: '$5', type: 'm.reaction', sender: '@1:test', content: {} }, ctx)).toBeUndefined();
    expect(
      toTimelineItem({ event_id: '$6', type: 'm.room.message', sender: '@1:test', content: { body: 42 } }, ctx),
    ).toBeUndefined();
  });
});

describe('grave-danger procedure', () => {
  const request = {
    id: 'd1',
    conversation: '!y:test',
    force: 'police',
    requester: AGENT,
    reason: 'Menace de suicide ce soir',
    requestedAt: 1,
    expiresAt: 2,
    status: 'pending',
  };

  it('keeps disclosure requests from the bot only, whose state key is their id', () => {
    const parsed = parseDisclosureRequests(
      [
        { type: DISCLOSURE_EVENT, sender: BOT, state_key: 'd1', content: request },
        { type: DISCLOSURE_EVENT, sender: AGENT, state_key: 'd2', content: { ...request, id: 'd2' } },
        { type: DISCLOSURE_EVENT, sender: BOT, state_key: 'other', content: request },
        { type: DISCLOSURE_EVENT, sender: BOT, state_key: 'd3', content: { ...request, id: 'd3', status: 'maybe' } },
      ],
      BOTS,
    );
    expect(parsed.map((item) => item.id)).toEqual(['d1']);
  });

  it('reads the disclosure message from the bot only, with its structured data', () => {
    const data = {
      request: 'd1',
      conversation: '!y:test',
      guest: '@1:test',
      connections: [{ ip: '203.0.113.9', userAgent: 'Mozilla', lastSeen: 5 }],
      postalCode: '93200',
      gatheredAt: 6,
    };
    const event = {
      event_id: '$d',
      type: 'm.room.message',
      sender: BOT,
      content: { msgtype: 'm.text', body: 'Levée d’anonymat approuvée…', [DISCLOSURE_EVENT]: data },
      origin_server_ts: 7,
    };
    expect(parseDisclosure(event, '!room:test', BOTS)).toMatchObject({
      roomId: '!room:test',
      eventId: '$d',
      body: 'Levée d’anonymat approuvée…',
      data: { postalCode: '93200' },
      ts: 7,
    });
    expect(parseDisclosure({ ...event, sender: AGENT }, '!room:test', BOTS)).toBeUndefined();
    expect(
      parseDisclosure({ ...event, content: { msgtype: 'm.text', body: 'x' } }, '!room:test', BOTS),
    ).toBeUndefined();
  });

  it('keeps the bot’s explanation of a command result', () => {
    const result = { requestId: 'r1', action: 'export', ok: true };
    const event = {
      type: 'm.room.message',
      sender: BOT,
      content: { msgtype: 'm.notice', body: 'Export prêt.', [EventType.CommandResult]: result },
    };
    expect(parseCommandResult(event, BOTS)?.message).toBe('Export prêt.');
    expect(
      parseCommandResult({ type: EventType.CommandResult, sender: BOT, content: result }, BOTS)?.message,
    ).toBeUndefined();
  });
});

describe('legal holds', () => {
  it('reads the bot’s legal hold records only', () => {
    const hold = { active: true, reason: 'PV 2026/481', by: '@pn-superviseur-1:test', at: 5 };
    const holds = parseLegalHolds(
      [
        { type: 'fr.espace-mineurs.legal_hold', sender: BOT, state_key: '!y:test', content: hold },
        { type: 'fr.espace-mineurs.legal_hold', sender: AGENT, state_key: '!z:test', content: hold },
        { type: 'fr.espace-mineurs.legal_hold', sender: BOT, state_key: '!w:test', content: { active: 'yes' } },
      ],
      BOTS,
    );
    expect([...holds.keys()]).toEqual(['!y:test']);
    expect(holds.get('!y:test')?.reason).toBe('PV 2026/481');
  });
});

describe('edits and redactions in the timeline', () => {
  const YOUNG = '@guest-1:test';
  const ctx = { bots: BOTS, myUserId: AGENT, staff };
  const message = (id: string, sender: string, body: string, extra: Record<string, unknown> = {}) => ({
    event_id: id,
    type: 'm.room.message',
    sender,
    content: { msgtype: 'm.text', body, ...extra },
    origin_server_ts: 1,
  });
  const edit = (id: string, sender: string, target: string, body: string) =>
    message(id, sender, `* ${body}`, {
      'm.new_content': { msgtype: 'm.text', body },
      'm.relates_to': { rel_type: 'm.replace', event_id: target },
    });

  it("replaces the original's text with its author's latest edit, marked, and shows no « * » line", () => {
    const items = buildTimeline(
      [
        message('$a', YOUNG, 'il me fait peur'),
        edit('$e1', YOUNG, '$a', 'il me frappe'),
        edit('$e2', YOUNG, '$a', 'mon beau-père me frappe'),
      ],
      ctx,
    );
    expect(items.map((item) => [item.eventId, item.body, item.edited])).toEqual([
      ['$a', 'mon beau-père me frappe', true],
    ]);
  });

  it("ignores an edit by anyone but the original's sender (no words put in the young person's mouth)", () => {
    const items = buildTimeline([message('$a', YOUNG, 'bonjour'), edit('$e', AGENT, '$a', 'tout va bien')], ctx);
    expect(items.map((item) => [item.body, item.edited])).toEqual([['bonjour', undefined]]);
  });

  it('keeps a redacted message in place as « Message supprimé », whether the SDK stripped it or the redaction is seen', () => {
    const stripped = {
      event_id: '$b',
      type: 'm.room.message',
      sender: YOUNG,
      content: {},
      origin_server_ts: 2,
      redacted: true,
    };
    const items = buildTimeline(
      [
        message('$a', YOUNG, 'mon adresse est 12 rue…'),
        stripped,
        { event_id: '$r', type: 'm.room.redaction', sender: YOUNG, content: {}, redacts: '$a' },
        message('$c', AGENT, 'je suis là'),
      ],
      ctx,
    );
    expect(items.map((item) => [item.eventId, item.kind, item.body, item.authorLabel])).toEqual([
      ['$a', 'deleted', DELETED_LABEL, YOUNG_PERSON_LABEL],
      ['$b', 'deleted', DELETED_LABEL, YOUNG_PERSON_LABEL],
      ['$c', 'message', 'je suis là', 'Alex'],
    ]);
  });

  it('drops an edit that was itself redacted', () => {
    const items = buildTimeline(
      [
        message('$a', YOUNG, 'premier'),
        edit('$e', YOUNG, '$a', 'second'),
        { event_id: '$r', type: 'm.room.redaction', sender: YOUNG, content: { redacts: '$e' }, redacts: '$e' },
      ],
      ctx,
    );
    expect(items.map((item) => [item.body, item.edited])).toEqual([['premier', undefined]]);
  });
});

describe('the bot with one account per homeserver (federated topology)', () => {
  const publicBot = '@espace-bot:public.test';
  const policeBot = '@espace-bot:police.test';
  const bots = new Set([publicBot, policeBot]);
  const ctx = { bots, myUserId: AGENT, staff: new Map<string, StaffMember>() };

  it("shows the public account's messages in the young person's room as the service's, not the young person's", () => {
    const question = {
      event_id: '$q',
      type: 'm.room.message',
      sender: publicBot,
      content: { msgtype: 'm.notice', body: 'Question' },
    };
    expect(toTimelineItem(question, ctx)).toMatchObject({ author: 'service', authorLabel: 'Espace mineurs' });
    expect(toTimelineItem({ ...question, sender: '@espace-bot:other.test' }, ctx)).toMatchObject({ author: 'young' });
  });

  it("reads the young person's status from the public account and command results from the force's", () => {
    const status = {
      type: EventType.Status,
      sender: publicBot,
      state_key: '',
      content: { state: 'queued', force: 'police', agentJoined: false, updatedAt: 1 },
    };
    expect(parseStatus(status, bots)?.state).toBe('queued');
    expect(parseStatus({ ...status, sender: '@espace-bot:other.test' }, bots)).toBeUndefined();
    const result = { requestId: 'ac-2', action: 'claim', ok: true };
    expect(parseCommandResult({ type: EventType.CommandResult, sender: policeBot, content: result }, bots)?.ok).toBe(
      true,
    );
    expect(parseCommandResult({ type: EventType.CommandResult, sender: AGENT, content: result }, bots)).toBeUndefined();
  });
});
