import { describe, expect, it } from 'vitest';
import type { MatrixClient, MatrixEvent } from 'matrix-js-sdk';
import { AgentConnection } from './connection.ts';

const ME = '@pn-agent-1:police';
const ROOM = '!young:public';

/**
 * A room whose read marker never follows the receipts sent: the SDK drops its local echo after a timeline reset
 * (the federated topology's freeze, docs/architecture.md). Each receipt sent is counted.
 */
function connectionWithStuckMarker(): { connection: AgentConnection; sent: string[]; addEvent: (id: string) => void } {
  const connection = new AgentConnection({ homeserverUrl: 'http://hs', userId: ME, accessToken: 't', deviceId: 'D' });
  connection.me = { userId: ME, force: 'police', role: 'agent', pseudonym: 'Alex' };
  const events: MatrixEvent[] = [];
  const sent: string[] = [];
  const room = {
    getLiveTimeline: () => ({ getEvents: () => events }),
    getEventReadUpTo: () => '$older',
  };
  const client = {
    getRoom: (roomId: string) => (roomId === ROOM ? room : null),
    getRooms: () => [],
    sendReadReceipt: async (event: MatrixEvent) => {
      sent.push(event.getId() ?? '');
      return {};
    },
  };
  Object.defineProperty(connection, 'client', { value: client as unknown as MatrixClient });
  const addEvent = (id: string) => events.push({ getId: () => id } as unknown as MatrixEvent);
  return { connection, sent, addEvent };
}

describe('read receipts', () => {
  it('sends one receipt per last event, even when the SDK’s read marker does not move', async () => {
    const { connection, sent, addEvent } = connectionWithStuckMarker();
    addEvent('$1');
    await connection.markRead(ROOM);
    await connection.markRead(ROOM);
    await connection.markRead(ROOM);
    expect(sent).toEqual(['$1']);
    addEvent('$2');
    await connection.markRead(ROOM);
    await connection.markRead(ROOM);
    expect(sent).toEqual(['$1', '$2']);
  });

  it('sends none for a local echo not yet sent', async () => {
    const { connection, sent, addEvent } = connectionWithStuckMarker();
    addEvent('~local');
    await connection.markRead(ROOM);
    expect(sent).toEqual([]);
  });
});
