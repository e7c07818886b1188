import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startFederatedTopology,
  type FederatedServer,
  type FederatedTopology,
  type Homeserver,
} from '@espace-mineurs/synapse';
import {
  bootstrapFederated,
  connectHomeserver,
  discloseAcrossServers,
  federatedRoomCreation,
  moveRoomToForceServer,
  purgeEverywhere,
  SERVER_ACL,
  type ConnectedHomeserver,
  type FederatedBootstrapResult,
} from '@espace-mineurs/bot/federation';
import { call, guestOn, join as joinRoom, sees, send, texts, waitFor, type ServerSession } from './support.ts';
import { demoLogin, known, rowsInDatabase, type Servers } from './bot-support.ts';

/**
 * The federated bootstrap and a young person's room across servers: each force's rooms and staff on its own
 * server, the young person's room shared by the public server and the serving force only, a cross-force move,
 * deletion on every server that held the room, and a force server restarted mid-conversation.
 */
let topology: FederatedTopology;
let result: FederatedBootstrapResult;
let dataDir: string;
let bots: { public: ConnectedHomeserver; police: ConnectedHomeserver; gendarmerie: ConnectedHomeserver };

/** What the helpers of bot-support.ts read, once beforeAll has started the topology. */
const deployment: Servers = {
  get topology() {
    return topology;
  },
  get result() {
    return result;
  },
};

function running(server: FederatedServer): Homeserver {
  const current = server.current();
  if (!current) throw new Error(`${server.role} is stopped`);
  return current;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'espace-federation-'));
  topology = await startFederatedTopology({
    dataDir: join(dataDir, 'servers'),
    layers: ['test'],
    federationPort: 0,
    clientPort: 0,
    retention: { min: '1s', max: '365d' },
  });
  const servers = {
    public: running(topology.servers.public),
    police: running(topology.servers.police),
    gendarmerie: running(topology.servers.gendarmerie),
  };
  result = await bootstrapFederated(servers, { stateDir: join(dataDir, 'state'), demo: true });
  bots = {
    public: connectHomeserver(servers.public.baseUrl, result.bots.public.accessToken, result.bots.public.userId),
    police: connectHomeserver(servers.police.baseUrl, result.bots.police.accessToken, result.bots.police.userId),
    gendarmerie: connectHomeserver(
      servers.gendarmerie.baseUrl,
      result.bots.gendarmerie.accessToken,
      result.bots.gendarmerie.userId,
    ),
  };
});

afterAll(async () => {
  await topology?.stop();
  if (dataDir && !process.env.ESPACE_KEEP_TEST_DATA) rmSync(dataDir, { recursive: true, force: true });
});

/** A demo account by its handle (`pn-agent-1`): the account itself has an opaque localpart. */
function demoAccount(handle: string): (typeof result.demo)[number] {
  const account = result.demo.find((candidate) => candidate.handle === handle);
  if (!account) throw new Error(`no demo account ${handle}`);
  return account;
}

async function openConversation(force: 'police' | 'gendarmerie', young: ServerSession): Promise<string> {
  const roomId = await bots.public.request<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', {
    body: {
      preset: 'private_chat',
      ...federatedRoomCreation(topology.servers.public.serverName, topology.servers[force].serverName),
      invite: [young.userId],
    },
  });
  const id = roomId.room_id;
  // The young person's room admits guests (as on one server).
  await bots.public.request('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(id)}/state/m.room.guest_access/`, {
    body: { guest_access: 'can_join' },
  });
  await joinRoom(young, id, topology.servers.public.serverName);
  return id;
}

describe('the federated bootstrap', () => {
  it('puts each force s rooms on its own server only, and is idempotent', async () => {
    for (const force of ['police', 'gendarmerie'] as const) {
      const rooms = result.forces[force];
      for (const roomId of [rooms.spaceId, rooms.queueRoomId, rooms.supervisorsRoomId, rooms.auditRoomId]) {
        expect(await known(deployment, force, roomId)).toBe(true);
        expect(await known(deployment, 'public', roomId)).toBe(false);
        expect(await known(deployment, force === 'police' ? 'gendarmerie' : 'police', roomId)).toBe(false);
      }
    }
    const servers = {
      public: running(topology.servers.public),
      police: running(topology.servers.police),
      gendarmerie: running(topology.servers.gendarmerie),
    };
    const again = await bootstrapFederated(servers, { stateDir: join(dataDir, 'state'), demo: true });
    expect(again.forces).toEqual(result.forces);
    expect(again.newDemoAccounts).toEqual([]);
  });

  it('gives each force s staff an account on that force s server, in that force s queue', async () => {
    const agent = await demoLogin(deployment, 'pn-agent-1');
    expect(agent.userId).toBe(`@${demoAccount('pn-agent-1').localpart}:${topology.servers.police.serverName}`);
    const joined = await call<{ joined_rooms: string[] }>(agent.baseUrl, 'GET', '/_matrix/client/v3/joined_rooms', {
      token: agent.accessToken,
    });
    expect(joined.body.joined_rooms).toContain(result.forces.police.queueRoomId);
    const elsewhere = await call(topology.servers.public.baseUrl, 'POST', '/_matrix/client/v3/login', {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: demoAccount('pn-agent-1').localpart },
        password: demoAccount('pn-agent-1').password,
      },
    });
    expect(elsewhere.status).toBe(403);
    // A police agent cannot read a gendarmerie room, nor join it over federation.
    const read = await call(
      agent.baseUrl,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(result.forces.gendarmerie.queueRoomId)}/messages?dir=b`,
      { token: agent.accessToken },
    );
    expect(read.status).toBe(403);
    const join = await call(
      agent.baseUrl,
      'POST',
      `/_matrix/client/v3/join/${encodeURIComponent(result.forces.gendarmerie.queueRoomId)}?server_name=${encodeURIComponent(topology.servers.gendarmerie.serverName)}`,
      {
        token: agent.accessToken,
        body: {},
      },
    );
    expect(join.status).not.toBe(200);
  });
});

describe('a young person s room across servers', () => {
  it('carries messages both ways, moves to the other force (ACL swapped, previous force removed) and is purged on every server', async () => {
    const young = await guestOn(topology.servers.public.baseUrl);
    const roomId = await openConversation('police', young);
    const police = await demoLogin(deployment, 'pn-agent-1');
    await bots.public.request('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, {
      body: { user_id: police.userId },
    });
    await joinRoom(police, roomId, topology.servers.public.serverName);
    expect((await send(police, roomId, 'Bonjour, je suis Alex.')).status).toBe(200);
    await sees(young, roomId, 'Bonjour, je suis Alex.');
    expect((await send(young, roomId, 'bonjour')).status).toBe(200);
    await sees(police, roomId, 'bonjour');

    // A gendarme cannot join while the room belongs to the police.
    const gendarme = await demoLogin(deployment, 'gn-agent-1');
    const early = await call(
      gendarme.baseUrl,
      'POST',
      `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(topology.servers.public.serverName)}`,
      {
        token: gendarme.accessToken,
        body: {},
      },
    );
    expect(early.status).not.toBe(200);

    const moved = await moveRoomToForceServer(bots.public, roomId, {
      publicServer: topology.servers.public.serverName,
      fromServer: topology.servers.police.serverName,
      toServer: topology.servers.gendarmerie.serverName,
    });
    expect(moved.removed).toEqual([police.userId]);
    const acl = await bots.public.request<{ allow: string[] }>(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/${SERVER_ACL}/`,
    );
    const { public: publicServer, gendarmerie: gendarmerieServer } = topology.servers;
    expect(acl.allow).toEqual([
      publicServer.address.host,
      publicServer.serverName,
      gendarmerieServer.address.host,
      gendarmerieServer.serverName,
    ]);

    await bots.public.request('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, {
      body: { user_id: gendarme.userId },
    });
    await joinRoom(gendarme, roomId, topology.servers.public.serverName);
    expect((await send(gendarme, roomId, 'Bonjour, je suis Charlie.')).status).toBe(200);
    await sees(young, roomId, 'Bonjour, je suis Charlie.');
    const member = await bots.public.request<{ membership: string }>(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(police.userId)}`,
    );
    expect(member.membership).toBe('leave');
    await waitFor('the police server to know its agent left', async () => {
      const joined = await call<{ joined_rooms: string[] }>(police.baseUrl, 'GET', '/_matrix/client/v3/joined_rooms', {
        token: police.accessToken,
      });
      return joined.status === 200 && !joined.body.joined_rooms.includes(roomId) ? true : undefined;
    });
    expect((await send(police, roomId, 'encore moi')).status).toBe(403);
    expect(await texts(young, roomId)).not.toContain('encore moi');

    for (const role of ['public', 'police', 'gendarmerie'] as const) {
      expect(await known(deployment, role, roomId)).toBe(true);
      expect(rowsInDatabase(deployment, role, roomId)).toBeGreaterThan(0);
    }
    const purged = await purgeEverywhere([bots.public, bots.police, bots.gendarmerie], roomId);
    expect(purged.map((entry) => entry.outcome)).toEqual(['deleted', 'deleted', 'deleted']);
    for (const role of ['public', 'police', 'gendarmerie'] as const) {
      expect(await known(deployment, role, roomId)).toBe(false);
      expect(rowsInDatabase(deployment, role, roomId)).toBe(0);
    }
  });

  it('loses and duplicates nothing when the force server is stopped and restarted mid-conversation', async () => {
    const young = await guestOn(topology.servers.public.baseUrl);
    const roomId = await openConversation('gendarmerie', young);
    const gendarme = await demoLogin(deployment, 'gn-agent-2');
    await bots.public.request('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, {
      body: { user_id: gendarme.userId },
    });
    await joinRoom(gendarme, roomId, topology.servers.public.serverName);
    expect((await send(gendarme, roomId, 'avant')).status).toBe(200);
    await sees(young, roomId, 'avant');

    await topology.servers.gendarmerie.stop();
    expect((await send(young, roomId, 'pendant 1')).status).toBe(200);
    expect((await send(young, roomId, 'pendant 2')).status).toBe(200);
    await topology.servers.gendarmerie.start();
    // The public server retries the force server soon (federation.destination_min_retry_interval), not in 10 min.
    await sees(gendarme, roomId, 'pendant 2');
    expect((await send(gendarme, roomId, 'après')).status).toBe(200);
    await sees(young, roomId, 'après');
    const agentView = await texts(gendarme, roomId);
    const youngView = await texts(young, roomId);
    for (const view of [agentView, youngView]) {
      expect(view.filter((body) => ['avant', 'pendant 1', 'pendant 2', 'après'].includes(body))).toEqual([
        'avant',
        'pendant 1',
        'pendant 2',
        'après',
      ]);
    }
    await purgeEverywhere([bots.public, bots.police, bots.gendarmerie], roomId);
  });
});

describe('grave danger across servers', () => {
  it('reads the guest s connections on the public server and discloses them on the force s server only', async () => {
    const young = await guestOn(topology.servers.public.baseUrl);
    const roomId = await openConversation('police', young);
    expect((await send(young, roomId, "j'ai peur")).status).toBe(200);
    const requester = demoAccount('pn-agent-1');
    const approver = demoAccount('pn-superviseur-1');
    const audited: Array<{ forces: readonly string[]; action: string }> = [];
    const now = Date.now();
    const disclosed = await discloseAcrossServers(
      { public: bots.public, force: bots.police },
      { write: async (forces, _cause, entry) => void audited.push({ forces, action: entry.action }) },
      {
        request: {
          id: `req-${now}`,
          conversation: roomId,
          force: 'police',
          requester: requester.userId,
          reason: 'danger immédiat',
          requestedAt: now,
          expiresAt: now + 3_600_000,
          status: 'approved',
          decidedBy: approver.userId,
          decidedAt: now,
        },
        guest: young.userId,
        now,
      },
    );
    expect(disclosed.connections).toBeGreaterThan(0);
    expect(await known(deployment, 'police', disclosed.roomId)).toBe(true);
    expect(await known(deployment, 'public', disclosed.roomId)).toBe(false);
    expect(await known(deployment, 'gendarmerie', disclosed.roomId)).toBe(false);
    const members = await bots.police.request<{ chunk: Array<{ state_key: string; content: { membership: string } }> }>(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(disclosed.roomId)}/members`,
    );
    expect(members.chunk.map((member) => member.state_key).sort()).toEqual(
      [approver.userId, requester.userId, result.bots.police.userId].sort(),
    );
    expect(audited).toEqual([{ forces: ['police'], action: 'disclosure' }]);
    await purgeEverywhere([bots.public, bots.police, bots.gendarmerie], roomId);
  });
});
