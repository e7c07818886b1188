import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { discardEvidence, evidenceMessage, receiveEvidence, sha256 } from '../../../bot/src/evidence/evidence.ts';
import { timeline } from '../../support/conversation.ts';
import { botHomeserver, createConversationLikeRoom, registerGuest } from './support.ts';

describe('evidence images (real Synapse media store)', () => {
  it('stores the sanitised image with the bot token: what Synapse serves has no metadata and the recorded hash', async () => {
    const hs = botHomeserver();
    const guest = await registerGuest();
    const { roomId } = await createConversationLikeRoom(hs, guest, ['je vais envoyer une capture']);
    const input = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#246' } })
      .withExif({ IFD0: { Artist: 'Jean Dupont' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2400/100' } })
      .jpeg()
      .toBuffer();
    const result = await receiveEvidence(hs.upload, input, 'image/jpeg', Date.now());
    if (!result.ok) throw new Error(result.code);
    expect(result.stored.mxc).toMatch(/^mxc:\/\//);

    const served = await hs.download(result.stored.mxc);
    expect(sha256(served)).toBe(result.stored.sha256);
    expect((await sharp(served).metadata()).exif).toBeUndefined();
    expect(served.includes(Buffer.from('Jean Dupont'))).toBe(false);

    // Posted in the room, the guest sees the image and its hash.
    await hs.request(
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/evidence-${result.stored.sha256.slice(0, 16)}`,
      { body: evidenceMessage(result.stored) },
    );
    const image = (await timeline(guest, roomId)).find((event) => event.content.msgtype === 'm.image');
    expect(image?.content).toMatchObject({
      url: result.stored.mxc,
      'fr.espace-mineurs.evidence': { sha256: result.stored.sha256 },
    });
  });

  it('an image that could not be posted is discarded from the media store', async () => {
    const hs = botHomeserver();
    const input = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    const result = await receiveEvidence(hs.upload, input, 'image/png', Date.now());
    if (!result.ok) throw new Error(result.code);
    expect(sha256(await hs.download(result.stored.mxc))).toBe(result.stored.sha256);
    expect(await discardEvidence(hs, result.stored.mxc)).toBe(true);
    await expect(hs.download(result.stored.mxc)).rejects.toMatchObject({ statusCode: 404 });
    expect(await discardEvidence(hs, result.stored.mxc)).toBe(false);
  });
});
