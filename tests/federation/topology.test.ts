import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ensureSynapseTree,
  startFederatedServer,
  startFederatedTopology,
  type FederatedServer,
  type FederatedTopology,
} from '@espace-mineurs/synapse';
import { freePort } from '@espace-mineurs/synapse';
import { call, join as joinRoom, registerOn, send, texts, waitFor, type ServerSession } from './support.ts';

/**
 * The closed federation itself, before any bot: three servers that federate among themselves over TLS with the
 * deployment's CA, and a fourth one, even holding a certificate from that CA, that none of them accepts.
 */
let topology: FederatedTopology;
let outsider: FederatedServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'espace-federation-'));
  topology = await startFederatedTopology({
    dataDir,
    layers: ['test'],
    federationPort: 0,
    clientPort: 0,
    retention: { min: '1s', max: '365d' },
  });
  const host = '127.0.0.5';
  const address = { host, clientPort: await freePort(host), federationPort: await freePort(host) };
  const self = `${host}:${address.federationPort}`;
  outsider = await startFederatedServer({
    role: 'outsider',
    dataDir: join(dataDir, 'outsider'),
    tree: await ensureSynapseTree(),
    ca: topology.ca,
    address,
    // The outsider would gladly federate with the deployment: the deployment's own whitelists are what refuse it.
    domainWhitelist: [self, ...topology.serverNames],
    peerHosts: [host, ...Object.values(topology.servers).map((server) => server.address.host)],
    allowGuests: true,
    layers: ['test'],
    retention: { min: '1s', max: '365d' },
  });
});

afterAll(async () => {
  await outsider?.stop();
  await topology?.stop();
  if (dataDir && !process.env.ESPACE_KEEP_TEST_DATA) rmSync(dataDir, { recursive: true, force: true });
});

function config(server: FederatedServer): Record<string, unknown> {
  return parse(readFileSync(join(server.dataDir, 'homeserver.yaml'), 'utf8')) as Record<string, unknown>;
}

async function createRoom(owner: ServerSession, invite: string[]): Promise<string> {
  const created = await call<{ room_id: string }>(owner.baseUrl, 'POST', '/_matrix/client/v3/createRoom', {
    token: owner.accessToken,
    body: { preset: 'private_chat', invite },
  });
  expect(created.status).toBe(200);
  return created.body.room_id;
}

describe('the federated topology', () => {
  it('names each server by an IP literal with its port and whitelists exactly the three', () => {
    const { public: publicServer, police, gendarmerie } = topology.servers;
    expect(publicServer.serverName).toMatch(/^127\.0\.0\.2:\d+$/);
    expect(police.serverName).toMatch(/^127\.0\.0\.3:\d+$/);
    expect(gendarmerie.serverName).toMatch(/^127\.0\.0\.4:\d+$/);
    for (const server of [publicServer, police, gendarmerie]) {
      const rendered = config(server);
      expect([...(rendered.federation_domain_whitelist as string[])].sort()).toEqual([...topology.serverNames].sort());
      expect(rendered.federation_custom_ca_list).toEqual([topology.ca.certificate]);
      expect(rendered.federation_verify_certificates).toBe(true);
      expect(rendered.trusted_key_servers).toEqual([]);
      const federationListener = (
        rendered.listeners as Array<{ tls: boolean; resources: Array<{ names: string[] }>; bind_addresses: string[] }>
      ).find((listener) => listener.resources?.some((resource) => resource.names.includes('federation')));
      expect(federationListener?.tls).toBe(true);
      expect(federationListener?.bind_addresses).toEqual([server.address.host]);
      expect(rendered.allow_guest_access).toBe(server === publicServer);
    }
  });

  it('refuses guests on the force servers', async () => {
    const answer = await call(topology.servers.police.baseUrl, 'POST', '/_matrix/client/v3/register?kind=guest', {
      body: {},
    });
    expect(answer.status).toBe(403);
  });

  it('carries a conversation between the public server and a force server, both ways, over TLS', async () => {
    const young = await registerOn(topology.servers.public, 'young');
    const agent = await registerOn(topology.servers.police, 'agent');
    const roomId = await createRoom(young, [agent.userId]);
    await joinRoom(agent, roomId, topology.servers.public.serverName);
    expect((await send(agent, roomId, 'bonjour, je suis là')).status).toBe(200);
    await waitFor('the agent message on the public server', async () =>
      (await texts(young, roomId)).includes('bonjour, je suis là') ? true : undefined,
    );
    expect((await send(young, roomId, 'merci')).status).toBe(200);
    await waitFor('the young message on the police server', async () =>
      (await texts(agent, roomId)).includes('merci') ? true : undefined,
    );
  });

  it('refuses a fourth server outside the whitelist: it cannot be invited, join, read or send', async () => {
    const young = await registerOn(topology.servers.public, 'young');
    const stranger = await registerOn(outsider, 'stranger');
    const roomId = await createRoom(young, []);
    expect((await send(young, roomId, 'secret')).status).toBe(200);

    const invited = await call(young.baseUrl, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, {
      token: young.accessToken,
      body: { user_id: stranger.userId },
    });
    expect(invited.status).toBe(403);

    const joined = await call(
      stranger.baseUrl,
      'POST',
      `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(topology.servers.public.serverName)}`,
      {
        token: stranger.accessToken,
        body: {},
      },
    );
    expect(joined.status).not.toBe(200);
    const read = await call(
      stranger.baseUrl,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b`,
      { token: stranger.accessToken },
    );
    expect(read.status).toBe(403);
    expect((await send(stranger, roomId, 'intrus')).status).toBe(403);
    expect(await texts(young, roomId)).toEqual(['secret']);
  });
});
