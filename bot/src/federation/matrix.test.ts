import { describe, expect, it } from 'vitest';
import { Matrix } from '../matrix/client.ts';
import type { RequestOptions } from '../matrix/transport.ts';
import { FederatedMatrix, serverOfId, subjectOfPath } from './matrix.ts';

/** A client that records what it is asked instead of sending it. */
class Recording extends Matrix {
  readonly calls: string[] = [];

  constructor(userId: string) {
    super('http://127.0.0.1:1', 'token', userId);
  }

  override request<T>(method: string, path: string, _options: RequestOptions = {}): Promise<T> {
    this.calls.push(`${method} ${path}`);
    return Promise.resolve({
      joined_rooms: [`!${this.userId.slice(1, 4)}:x`],
      event_id: '$e',
      room_id: '!new:127.0.0.2:8448',
    } as T);
  }
}

const publicBot = new Recording('@espace-bot:127.0.0.2:8448');
const policeBot = new Recording('@espace-bot:127.0.0.3:8448');
const gendarmerieBot = new Recording('@espace-bot:127.0.0.4:8448');
const matrix = new FederatedMatrix(publicBot, [policeBot, gendarmerieBot]);

describe('FederatedMatrix', () => {
  it('sends each request to the server of the room, user or alias it names', async () => {
    await matrix.putState('!queue:127.0.0.3:8448', 'fr.espace-mineurs.conversation', '!young:127.0.0.2:8448', {});
    await matrix.ensureInvited('!young:127.0.0.2:8448', '@agent:127.0.0.3:8448');
    await matrix.request('GET', '/_synapse/admin/v1/whois/%40guest%3A127.0.0.2%3A8448');
    await matrix.request('DELETE', '/_synapse/admin/v1/media/127.0.0.4%3A8448/abc');
    await matrix.createRoom({});
    expect(policeBot.calls).toEqual([
      'PUT /_matrix/client/v3/rooms/!queue%3A127.0.0.3%3A8448/state/fr.espace-mineurs.conversation/!young%3A127.0.0.2%3A8448',
    ]);
    // The invite of a force agent into a young person's room goes through the public server (over federation).
    expect(publicBot.calls.filter((call) => call.includes('invite'))).toEqual([
      'POST /_matrix/client/v3/rooms/!young%3A127.0.0.2%3A8448/invite',
    ]);
    expect(publicBot.calls).toContain('GET /_synapse/admin/v1/whois/%40guest%3A127.0.0.2%3A8448');
    expect(publicBot.calls).toContain('POST /_matrix/client/v3/createRoom');
    expect(gendarmerieBot.calls).toEqual(['DELETE /_synapse/admin/v1/media/127.0.0.4%3A8448/abc']);
  });

  it('knows its three accounts, and which one acts in a room', async () => {
    expect(matrix.isOwn('@espace-bot:127.0.0.3:8448')).toBe(true);
    expect(matrix.isOwn('@espace-bot:127.0.0.9:8448')).toBe(false);
    expect(matrix.userIdIn('!queue:127.0.0.4:8448')).toBe('@espace-bot:127.0.0.4:8448');
    expect(matrix.userIdIn('!young:127.0.0.2:8448')).toBe('@espace-bot:127.0.0.2:8448');
    expect(matrix.clientOn('!queue:127.0.0.3:8448')).toBe(policeBot);
    expect(matrix.everyServer()).toEqual([publicBot, policeBot, gendarmerieBot]);
    expect((await matrix.joinedRooms()).sort()).toEqual(['!esp:x']);
  });

  it('reads identifiers strictly', () => {
    expect(serverOfId('!abc:127.0.0.3:8448')).toBe('127.0.0.3:8448');
    expect(serverOfId('!abc')).toBeUndefined();
    expect(serverOfId('abc:def')).toBeUndefined();
    expect(subjectOfPath('/_matrix/client/v3/sync?since=%21a%3Ab')).toBeUndefined();
    expect(subjectOfPath('/_matrix/client/v3/directory/room/%23queue%3A127.0.0.3%3A8448')).toBe(
      '#queue:127.0.0.3:8448',
    );
    expect(subjectOfPath('/bad/%E0%A4%A')).toBeUndefined();
  });
});
