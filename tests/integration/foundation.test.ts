import { describe, expect, it } from 'vitest';
import { MatrixClient } from 'matrix-bot-sdk';
import { bootstrap } from '@espace-mineurs/bot/bootstrap';
import { EventType, userStateKey } from '@espace-mineurs/protocol';
import { loginDemo, matrixRequest, registerGuest, registerUser, sendMessage, stack } from '../support/matrix.ts';

describe('the homeserver as configured for Espace mineurs', () => {
  it('lets a guest register', async () => {
    const guest = await registerGuest();
    expect(guest.userId).toMatch(new RegExp(`^@\\d+:${stack().serverName.replace(/\./g, '\\.')}$`));
    const whoami = await matrixRequest<{ user_id: string; is_guest?: boolean }>(
      'GET',
      '/_matrix/client/v3/account/whoami',
      { token: guest.accessToken },
    );
    expect(whoami.status).toBe(200);
    expect(whoami.body.is_guest).toBe(true);
  });

  it('refuses to let a guest create a room', async () => {
    const guest = await registerGuest();
    const created = await matrixRequest('POST', '/_matrix/client/v3/createRoom', {
      token: guest.accessToken,
      body: { preset: 'private_chat' },
    });
    expect(created.status).toBe(403);
    expect(created.body.errcode).toBe('M_GUEST_ACCESS_FORBIDDEN');
  });

  it('refuses a guest the profile of a user it shares no room with', async () => {
    const guest = await registerGuest();
    const stranger = await registerUser('stranger');
    const profile = await matrixRequest('GET', `/_matrix/client/v3/profile/${encodeURIComponent(stranger.userId)}`, {
      token: guest.accessToken,
    });
    expect(profile.status).toBe(403);
    // …and the demo agents cannot be enumerated either.
    const agent = stack().demo[0]!;
    const agentProfile = await matrixRequest('GET', `/_matrix/client/v3/profile/${encodeURIComponent(agent.userId)}`, {
      token: guest.accessToken,
    });
    expect(agentProfile.status).toBe(403);
    const anonymous = await matrixRequest('GET', `/_matrix/client/v3/profile/${encodeURIComponent(agent.userId)}`);
    expect(anonymous.status).toBe(401);
  });

  it('does not serve federation endpoints', async () => {
    for (const path of [
      '/_matrix/federation/v1/version',
      '/_matrix/key/v2/server',
      '/_matrix/federation/v1/query/profile?user_id=@a:b',
    ]) {
      const response = await matrixRequest('GET', path);
      expect(response.status, path).toBe(404);
    }
  });

  it('does not let anyone search the room directory', async () => {
    const guest = await registerGuest();
    const search = await matrixRequest<{ chunk: unknown[] }>('POST', '/_matrix/client/v3/publicRooms', {
      token: guest.accessToken,
      body: { filter: { generic_search_term: 'police' } },
    });
    expect(search.status).toBe(200);
    expect(search.body.chunk).toEqual([]);
  });
});

describe('the bootstrap', () => {
  it('finds the same spaces and rooms when run again, and creates no duplicate', async () => {
    const { baseUrl, registrationSharedSecret, serverName, forces, dataDir } = stack();
    const again = await bootstrap(
      {
        source: 'existing',
        baseUrl,
        serverName,
        version: '',
        ...(registrationSharedSecret ? { registrationSharedSecret } : {}),
        stop: async () => {},
      },
      { stateDir: dataDir, demo: true },
    );
    expect(again.forces).toEqual(forces);
    expect(again.newDemoAccounts).toEqual([]);
    expect(again.demo.map((account) => account.userId)).toEqual(stack().demo.map((account) => account.userId));

    const client = new MatrixClient(baseUrl, again.bot.accessToken);
    const joined = await client.getJoinedRooms();
    const roles = await Promise.all(
      joined.map(async (roomId) => {
        try {
          const role = (await client.getRoomStateEvent(roomId, EventType.RoomRole, '')) as {
            role: string;
            force: string;
          };
          return `${role.force}/${role.role}`;
        } catch {
          return undefined;
        }
      }),
    );
    const bootstrapRooms = roles.filter((role): role is string => role !== undefined).sort();
    expect(bootstrapRooms).toEqual([
      'gendarmerie/audit',
      'gendarmerie/force_space',
      'gendarmerie/queue',
      'gendarmerie/supervisors',
      'police/audit',
      'police/force_space',
      'police/queue',
      'police/supervisors',
    ]);
  });

  it('records each demo staff member with a pseudonym in their force space, and joins them to their rooms', async () => {
    const { baseUrl, bot, forces, demo } = stack();
    const client = new MatrixClient(baseUrl, bot.accessToken);
    expect(demo.filter((account) => account.force === 'police' && account.role === 'agent')).toHaveLength(2);
    expect(demo.filter((account) => account.force === 'gendarmerie' && account.role === 'agent')).toHaveLength(2);
    expect(
      demo
        .filter((account) => account.role === 'supervisor')
        .map((account) => account.force)
        .sort(),
    ).toEqual(['gendarmerie', 'police']);
    for (const account of demo) {
      // Opaque IDs: young people see them, so nothing of the force, the role or the person (the handle stays local).
      expect(account.localpart).toMatch(/^[a-z][a-z0-9]{9}$/);
      expect(account.userId).toBe(`@${account.localpart}:${stack().serverName}`);
      // The localpart is random: a chance "pn" or "gn" in it says nothing, a word of the handle would.
      expect(account.localpart).not.toMatch(/agent|superviseur|police|gendarmerie/);
      const staff = await client.getRoomStateEvent(
        forces[account.force].spaceId,
        EventType.Staff,
        userStateKey(account.userId),
      );
      expect(staff).toMatchObject({ force: account.force, role: account.role, pseudonym: account.pseudonym });
      const queueMembers = await client.getJoinedRoomMembers(forces[account.force].queueRoomId);
      expect(queueMembers).toContain(account.userId);
      const auditMembers = await client.getJoinedRoomMembers(forces[account.force].auditRoomId);
      expect(auditMembers.includes(account.userId)).toBe(account.role === 'supervisor');
    }
  });
});

describe('staff rooms', () => {
  it('lets a supervisor, and no agent, edit their force’s canned responses', async () => {
    const { forces } = stack();
    const content = { responses: [{ id: 'accueil', title: 'Accueil', body: 'Bonjour, je t’écoute.' }] };
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(forces.police.queueRoomId)}/state/${EventType.CannedResponses}/`;
    const agent = await loginDemo('pn-agent-1');
    expect((await matrixRequest('PUT', path, { token: agent.accessToken, body: content })).status).toBe(403);
    const supervisor = await loginDemo('pn-superviseur-1');
    expect((await matrixRequest('PUT', path, { token: supervisor.accessToken, body: content })).status).toBe(200);
    // …but not the other force's.
    const otherPath = `/_matrix/client/v3/rooms/${encodeURIComponent(forces.gendarmerie.queueRoomId)}/state/${EventType.CannedResponses}/`;
    expect((await matrixRequest('PUT', otherPath, { token: supervisor.accessToken, body: content })).status).toBe(403);
  });

  it('lets only the bot write in an audit room', async () => {
    const { forces } = stack();
    const supervisor = await loginDemo('gn-superviseur-1');
    const sent = await sendMessage(supervisor, forces.gendarmerie.auditRoomId, 'forged entry');
    expect(sent.status).toBe(403);
  });
});

describe('rate limits', () => {
  async function roomWithGuest() {
    const { baseUrl, bot } = stack();
    const client = new MatrixClient(baseUrl, bot.accessToken);
    const guest = await registerGuest();
    const roomId = await client.createRoom({
      preset: 'private_chat',
      initial_state: [{ type: 'm.room.guest_access', state_key: '', content: { guest_access: 'can_join' } }],
      creation_content: { 'm.federate': false },
    });
    await client.inviteUser(guest.userId, roomId);
    const joined = await matrixRequest('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {
      token: guest.accessToken,
      body: {},
    });
    expect(joined.status).toBe(200);
    return { client, guest, roomId };
  }

  it('never throttles the bot: a burst of 40 messages all succeed', async () => {
    const { client, roomId } = await roomWithGuest();
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => client.sendText(roomId, `message ${i}`)),
    );
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
  });

  it('throttles a guest flooding its room, with a retry delay', async () => {
    const { guest, roomId } = await roomWithGuest();
    const responses = [];
    for (let i = 0; i < 40; i++) {
      const response = await sendMessage(guest, roomId, `flood ${i}`, { rateLimited: 'answer' });
      responses.push(response);
      if (response.status === 429) break;
    }
    const limited = responses.find((response) => response.status === 429);
    expect(limited, 'a guest burst should hit the limit').toBeDefined();
    expect(limited!.body.errcode).toBe('M_LIMIT_EXCEEDED');
    expect(limited!.body.retry_after_ms).toBeGreaterThan(0);
    // A young person writing fast is not a flood: the burst of 15 covers the join and 14 quick lines.
    expect(responses.slice(0, 14).map((response) => response.status)).toEqual(Array(14).fill(200));
  });
});
