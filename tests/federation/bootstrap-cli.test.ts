import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFederatedTopology, type FederatedTopology } from '@espace-mineurs/synapse';
import { FORCES, type Force } from '@espace-mineurs/protocol';
import type { FederatedDemoAccount, FederationDescriptor, ServerRole } from '@espace-mineurs/bot/federation';
import { roomAliasLocalpart } from '@espace-mineurs/bot/bootstrap';
import { FEDERATED_BOOTSTRAP_SERVERS } from '../../bot/src/federation/main.ts';
import { federatedService, ROOT } from '../static/files.ts';
import { spawnBot } from '../support/bot-process.ts';
import { call, waitFor } from './support.ts';

/**
 * The federated profile's `bootstrap` service (docker-compose.federated.yml over docker-compose.yml), run as Compose
 * runs it: the bot image's entry point (deploy/docker-entrypoint.sh, which reads every *_FILE into its variable)
 * then the service's command, with exactly the environment names the two files give it, their values mapped onto
 * this machine's three servers. It must make the bot's three accounts and each force's rooms on its own server,
 * write what the bot reads, and change nothing when run again (it runs on every `up`).
 */
const ROLES = ['public', ...FORCES] as const;
const SYNAPSE_SERVICE: Record<ServerRole, string> = {
  public: 'synapse',
  police: 'synapse-police',
  gendarmerie: 'synapse-gendarmerie',
};

let topology: FederatedTopology;
let dataDir: string;
let stateDir: string;
let env: Record<string, string>;
const service = federatedService('bootstrap');

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'espace-federation-bootstrap-cli-'));
  topology = await startFederatedTopology({
    dataDir: join(dataDir, 'servers'),
    layers: ['test'],
    federationPort: 0,
    clientPort: 0,
  });
  stateDir = join(dataDir, 'state');
  env = composeEnvironment();
});

afterAll(async () => {
  await topology?.stop();
  if (dataDir && !process.env.ESPACE_KEEP_TEST_DATA) rmSync(dataDir, { recursive: true, force: true });
});

/**
 * The service's environment with each value moved to this machine: a server's URL, name and registration secret
 * file to that server's here, the state folder to a fresh one. A name this test does not know fails it, so a
 * variable added to the compose service is added here too.
 */
function composeEnvironment(): Record<string, string> {
  const mapped: Record<string, string> = {};
  for (const [name, value] of Object.entries(service.environment)) {
    const role = ROLES.find((candidate) =>
      Object.values(FEDERATED_BOOTSTRAP_SERVERS[candidate]).some((known) => name === known || name === `${known}_FILE`),
    );
    if (role) {
      const names = FEDERATED_BOOTSTRAP_SERVERS[role];
      const server = topology.servers[role];
      if (name === names.url) {
        expect(new URL(value).hostname, name).toBe(SYNAPSE_SERVICE[role]);
        mapped[name] = server.baseUrl;
      } else if (name === names.serverName) {
        mapped[name] = server.serverName;
      } else if (name === `${names.secret}_FILE`) {
        const file = join(dataDir, `registration_shared_secret_${role}`);
        // As deploy/make-secrets.sh writes it; the entry point drops the trailing newline.
        writeFileSync(file, `${server.registrationSharedSecret}\n`, { mode: 0o444 });
        mapped[name] = file;
      } else {
        throw new Error(`the bootstrap service gives ${name} as a value: it must be a file`);
      }
    } else if (name === 'ESPACE_STATE_DIR') {
      mapped[name] = stateDir;
    } else if (name === 'ESPACE_LOG_LEVEL') {
      mapped[name] = value;
    } else {
      throw new Error(`the bootstrap service gives ${name}, which this test does not map`);
    }
  }
  return mapped;
}

interface Run {
  code: number | null;
  output: string;
}

/** `espace-entrypoint <command…>` as in the image, with only the service's environment (and a PATH to node). */
function runService(extraArgs: string[] = [], overrides: Record<string, string> = {}): Promise<Run> {
  const command = [...(service.command ?? []), ...extraArgs];
  const child = spawn('sh', [join(ROOT, 'deploy/docker-entrypoint.sh'), ...command], {
    cwd: ROOT,
    env: { PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}`, ...env, ...overrides },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolveRun) => child.once('exit', (code) => resolveRun({ code, output })));
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const descriptor = () => readJson<FederationDescriptor>(join(stateDir, 'federation.json'));
const credentials = (role: ServerRole) =>
  readJson<{ userId: string; accessToken: string; deviceId: string }>(
    join(stateDir, 'servers', role, 'bot-credentials.json'),
  );

/** How many rooms a server holds, by its admin API through the bot's admin account there. */
async function roomCount(role: ServerRole): Promise<number> {
  const answer = await call<{ total_rooms: number }>(
    topology.servers[role].baseUrl,
    'GET',
    '/_synapse/admin/v1/rooms?limit=1',
    { token: credentials(role).accessToken },
  );
  expect(answer.status).toBe(200);
  return answer.body.total_rooms;
}

describe("the federated profile's bootstrap service, run as Compose runs it", () => {
  let first: FederationDescriptor;
  const counts = {} as Record<ServerRole, number>;

  it('makes the bot an admin on each server and each force s rooms on that force s server only', async () => {
    expect(service.command).toEqual(['node', 'bot/src/federation/main.ts']);
    const run = await runService();
    expect(run.code, run.output).toBe(0);
    for (const role of ROLES) {
      // The log names servers and counts, never a secret or a token.
      expect(run.output).not.toContain(topology.servers[role].registrationSharedSecret);
      expect(run.output).not.toContain(credentials(role).accessToken);
    }

    first = descriptor();
    for (const role of ROLES) {
      const server = topology.servers[role];
      expect(first.servers[role]).toEqual({
        serverName: server.serverName,
        baseUrl: server.baseUrl,
        botUserId: `@espace-bot:${server.serverName}`,
      });
      const whoami = await call<{ user_id: string }>(server.baseUrl, 'GET', '/_matrix/client/v3/account/whoami', {
        token: credentials(role).accessToken,
      });
      expect(whoami.body.user_id).toBe(first.servers[role].botUserId);
      counts[role] = await roomCount(role);
    }
    for (const force of FORCES) {
      const rooms = first.forces[force];
      const own = topology.servers[force];
      for (const roomId of [rooms.spaceId, rooms.queueRoomId, rooms.supervisorsRoomId, rooms.auditRoomId]) {
        const other: Force = force === 'police' ? 'gendarmerie' : 'police';
        for (const [role, holds] of [
          [force, true],
          ['public', false],
          [other, false],
        ] as const) {
          const answer = await call(
            topology.servers[role].baseUrl,
            'GET',
            `/_synapse/admin/v1/rooms/${encodeURIComponent(roomId)}`,
            { token: credentials(role).accessToken },
          );
          expect(answer.status, `${force} room on ${role}`).toBe(holds ? 200 : 404);
        }
      }
      // Found by alias on its own server, as a later run (and the bot) find it.
      const alias = await call<{ room_id: string }>(
        own.baseUrl,
        'GET',
        `/_matrix/client/v3/directory/room/${encodeURIComponent(`#${roomAliasLocalpart(force, 'queue')}:${own.serverName}`)}`,
        { token: credentials(force).accessToken },
      );
      expect(alias.body.room_id).toBe(rooms.queueRoomId);
    }
    // No young person's room yet, nor any force room, on the public server: the bot's account only.
    expect(counts.public).toBe(0);
  });

  it('changes nothing when run again, as on every `up`', async () => {
    const saved = Object.fromEntries(ROLES.map((role) => [role, credentials(role)]));
    const run = await runService();
    expect(run.code, run.output).toBe(0);
    expect(descriptor()).toEqual(first);
    for (const role of ROLES) {
      expect(credentials(role), `${role}: same account, same device`).toEqual(saved[role]);
      expect(await roomCount(role), `${role}: no room added`).toBe(counts[role]);
    }
  });

  it('refuses a server that is not the one named, before it changes anything', async () => {
    const names = FEDERATED_BOOTSTRAP_SERVERS.police;
    const run = await runService([], { [names.serverName]: 'police.elsewhere.example:8448' });
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/the police server serves .* but its expected server name is police\.elsewhere/);
    expect(descriptor()).toEqual(first);
  });

  it('adds each force s demo staff on its own server with --demo, and stays idempotent', async () => {
    const run = await runService(['--demo']);
    expect(run.code, run.output).toBe(0);
    const demo = readJson<FederatedDemoAccount[]>(join(stateDir, 'demo-credentials.json'));
    expect(demo.length).toBeGreaterThan(0);
    for (const account of demo) {
      const own = topology.servers[account.force];
      expect(account.homeserverUrl).toBe(own.baseUrl);
      expect(account.userId.endsWith(`:${own.serverName}`), account.handle).toBe(true);
    }
    expect(new Set(demo.map((account) => account.force))).toEqual(new Set(FORCES));
    expect(descriptor()).toEqual(first);
    const again = await runService(['--demo']);
    expect(again.code, again.output).toBe(0);
    expect(readJson<FederatedDemoAccount[]>(join(stateDir, 'demo-credentials.json'))).toEqual(demo);
  });

  it('leaves what the bot service needs: it starts federated on that state folder and is ready', async () => {
    // The bot service's URL is the bootstrap's public one (tests/static/compose-federated.test.ts); here, both are
    // the public server's. `connect` refuses a federation.json that names another public server.
    expect(federatedService('bot').environment.ESPACE_HOMESERVER_URL).toBe(
      service.environment[FEDERATED_BOOTSTRAP_SERVERS.public.url],
    );
    const bot = await spawnBot({ homeserverUrl: topology.servers.public.baseUrl, stateDir });
    try {
      const ready = await waitFor('the bot ready', async () => {
        const response = await fetch(`${bot.url}/readyz`);
        return response.status === 200 ? ((await response.json()) as { ready: boolean }) : undefined;
      });
      expect(ready.ready).toBe(true);
      // One sync position per server: the bot follows the three.
      await waitFor('a sync position saved for each server', async () =>
        ROLES.every((role) => existsSync(join(stateDir, 'servers', role, 'bot-sync.json'))) ? true : undefined,
      );
    } finally {
      await bot.stop();
    }
  });
});
