import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { evidenceMessage, receiveEvidence } from '../../../bot/src/evidence/evidence.ts';
import {
  eventHash,
  exportConversation,
  renderExportHtml,
  verifyExport,
  type ExportSourceEvent,
} from '../../../bot/src/export/export.ts';
import { join, say, timeline } from '../../support/conversation.ts';
import { loginDemo } from '../../support/matrix.ts';
import { botHomeserver, createConversationLikeRoom, registerGuest } from './support.ts';

describe('export of a conversation (real Synapse)', () => {
  it('exports every event with hashes that match what a member reads, and verified evidence', async () => {
    const hs = botHomeserver();
    const guest = await registerGuest();
    const agent = await loginDemo('pn-agent-2');
    const { roomId } = await createConversationLikeRoom(hs, guest, [
      'bonjour',
      'il me demande des photos <b>tout le temps</b>',
    ]);
    await hs.request('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, {
      body: { user_id: agent.userId },
    });
    await join(agent, roomId);
    await say(agent, roomId, 'Je suis là, tu as bien fait de venir.');
    const png = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#888' } })
      .png()
      .toBuffer();
    const received = await receiveEvidence(hs.upload, png, 'image/png', Date.now());
    if (!received.ok) throw new Error(received.code);
    await hs.request(
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/ev-${Date.now()}`,
      { body: evidenceMessage(received.stored) },
    );

    const doc = await exportConversation(hs, roomId, {
      exportedBy: '@pn-superviseur-1:test',
      now: Date.now(),
      guest: guest.userId,
      download: hs.download,
    });
    expect(verifyExport(doc)).toBe(true);
    expect(doc.evidence).toEqual([
      expect.objectContaining({ mxc: received.stored.mxc, sha256: received.stored.sha256, verified: true }),
    ]);
    const messages = doc.events.filter((event) => event.type === 'm.room.message');
    expect(messages.map((event) => event.role)).toEqual(['jeune', 'jeune', 'agent', 'service']);

    // The guest's own view of the room gives the same hashes: the export adds and loses nothing.
    const seen = (await timeline(guest, roomId)) as ExportSourceEvent[];
    for (const event of seen)
      expect(doc.events.find((exported) => exported.eventId === event.event_id)?.sha256).toBe(eventHash(event));

    const html = renderExportHtml(doc);
    expect(html).toContain('il me demande des photos &lt;b&gt;tout le temps&lt;/b&gt;');
    expect(html).toContain(received.stored.sha256);
  });
});
