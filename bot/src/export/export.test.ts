import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../audit/chain.ts';
import { sha256 } from '../evidence/evidence.ts';
import {
  buildExport,
  checkEvidence,
  eventHash,
  renderExportHtml,
  verifyExport,
  type ExportSourceEvent,
} from './export.ts';

const BOT = '@espace-bot:t';
const GUEST = '@123:t';
const AGENT = '@pn-agent-1:t';
const IMAGE = Buffer.from('image bytes');

const events: ExportSourceEvent[] = [
  {
    event_id: '$1',
    type: 'fr.espace-mineurs.conversation_room',
    sender: BOT,
    origin_server_ts: 1000,
    state_key: '',
    content: { guest: GUEST, createdAt: 1000 },
  },
  {
    event_id: '$2',
    type: 'm.room.member',
    sender: GUEST,
    origin_server_ts: 2000,
    state_key: GUEST,
    content: { membership: 'join' },
  },
  {
    event_id: '$3',
    type: 'm.room.message',
    sender: GUEST,
    origin_server_ts: 3000,
    content: { msgtype: 'm.text', body: 'il m\'a dit "<script>alert(1)</script>" & menacé' },
  },
  {
    event_id: '$4',
    type: 'm.room.message',
    sender: AGENT,
    origin_server_ts: 4000,
    content: { msgtype: 'm.text', body: 'Je suis là.\nTu es en sécurité ?' },
  },
  {
    event_id: '$5',
    type: 'm.room.message',
    sender: BOT,
    origin_server_ts: 5000,
    content: {
      msgtype: 'm.image',
      body: 'preuve.png',
      url: 'mxc://t/img',
      'fr.espace-mineurs.evidence': { sha256: sha256(IMAGE), receivedSha256: 'abc' },
    },
  },
  {
    event_id: '$6',
    type: 'm.room.message',
    sender: GUEST,
    origin_server_ts: 6000,
    content: {},
    unsigned: { redacted_because: { type: 'm.room.redaction' } },
  },
  // An image posted by someone else than the bot is not evidence.
  {
    event_id: '$7',
    type: 'm.room.message',
    sender: AGENT,
    origin_server_ts: 7000,
    content: {
      msgtype: 'm.image',
      body: 'x',
      url: 'mxc://t/other',
      'fr.espace-mineurs.evidence': { sha256: 'forged' },
    },
  },
];

const meta = { roomId: '!room:t', botUserId: BOT, exportedAt: 9000, exportedBy: '@pn-superviseur-1:t' };

describe('buildExport', () => {
  it('hashes every event, names roles, lists evidence, and hashes itself', () => {
    const doc = buildExport(events, meta);
    expect(doc.guest).toBe(GUEST);
    expect(doc.events).toHaveLength(7);
    expect(doc.events.map((event) => event.role)).toEqual([
      'service',
      'jeune',
      'jeune',
      'agent',
      'service',
      'jeune',
      'agent',
    ]);
    expect(doc.events[2]!.sha256).toBe(
      sha256(
        Buffer.from(
          canonicalJson({
            content: events[2]!.content,
            event_id: '$3',
            origin_server_ts: 3000,
            sender: GUEST,
            type: 'm.room.message',
          }),
        ),
      ),
    );
    expect(doc.events[5]!.redacted).toBe(true);
    expect(doc.evidence).toEqual([{ eventId: '$5', mxc: 'mxc://t/img', sha256: sha256(IMAGE), receivedSha256: 'abc' }]);
    expect(verifyExport(doc)).toBe(true);
    // Any edit shows: of a message, or of the document.
    const edited = structuredClone(doc);
    edited.events[3]!.content.body = 'Autre chose';
    expect(verifyExport(edited)).toBe(false);
    expect(verifyExport({ ...doc, exportedBy: '@x:t' })).toBe(false);
    expect(eventHash(events[3]!)).toBe(doc.events[3]!.sha256);
  });

  it('checks evidence against the media store', async () => {
    const doc = await checkEvidence(buildExport(events, meta), async (mxc) =>
      mxc === 'mxc://t/img' ? IMAGE : Buffer.from(''),
    );
    expect(doc.evidence[0]!.verified).toBe(true);
    expect(verifyExport(doc)).toBe(true);
    const missing = await checkEvidence(buildExport(events, meta), async () => {
      throw new Error('404');
    });
    expect(missing.evidence[0]!.verified).toBe(false);
  });
});

describe('renderExportHtml', () => {
  it('is self-contained, French, and escapes every text from the conversation', () => {
    const html = renderExportHtml(buildExport(events, meta));
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<script|src=|href=/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;');
    expect(html).toContain('&amp; menacé');
    expect(html).toContain('(message supprimé)');
    expect(html).toContain(`Image transmise — empreinte SHA-256 ${sha256(IMAGE)}`);
    expect(html).toContain(`Agent ${AGENT}`);
    expect(html).toContain(`${GUEST} a rejoint la conversation`);
    expect(html).toContain(buildExport(events, meta).documentSha256);
  });
});
