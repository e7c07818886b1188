/**
 * The bootstrap of the federated topology (docs/architecture.md, "Federated topology"). The bot has an account
 * on every server: on the public one it holds the young people's rooms; on each force's server, created through
 * its account there, it holds that force's space, queue, supervisors and audit rooms and that force's staff.
 * Those internal rooms are created exactly as on the single server (`m.federate: false`): they can never involve
 * another server, so notes, disclosures and audit never reach the internet-facing one.
 */
import { join } from 'node:path';
import { FORCES, type Force } from '@espace-mineurs/protocol';
import type { Homeserver } from '@espace-mineurs/synapse';
import { bridgeMatrixBotSdkLogs, logger } from '../log.ts';
import { ensureBotAccount, type BotCredentials } from '../bootstrap/bot-account.ts';
import { DEMO_STAFF } from '../bootstrap/demo.ts';
import { readJsonFile, writePrivateJson } from '../bootstrap/files.ts';
import type { DemoAccount } from '../bootstrap/index.ts';
import { ensureForceRooms, type ForceRooms } from '../bootstrap/rooms.ts';
import { ensureStaffMember, generatePassword, opaqueLocalpart } from '../bootstrap/staff.ts';
import { Matrix } from '../matrix/client.ts';
import { serverNameOfUser } from './servers.ts';

const log = logger.child({ module: 'federation.bootstrap' });

export type ServerRole = 'public' | Force;

export interface FederatedHomeservers {
  public: Homeserver;
  police: Homeserver;
  gendarmerie: Homeserver;
}

/** A demo account of the federated topology: it logs in on its force's server. */
export interface FederatedDemoAccount extends DemoAccount {
  homeserverUrl: string;
  serverName: string;
}

/** What the bot and the tooling need to know about the deployment: written to federation.json in the state folder. */
export interface FederationDescriptor {
  servers: Record<ServerRole, { serverName: string; baseUrl: string; botUserId: string }>;
  forces: Record<Force, ForceRooms>;
}

export interface FederatedBootstrapResult extends FederationDescriptor {
  bots: Record<ServerRole, BotCredentials>;
  demo: FederatedDemoAccount[];
  newDemoAccounts: FederatedDemoAccount[];
}

export const FEDERATION_FILE = 'federation.json';

/** The bot's state for one server lives in a folder of its own: one account, one device, per server. */
export function serverStateDir(stateDir: string, role: ServerRole): string {
  return join(stateDir, 'servers', role);
}

/**
 * Refuses a deployment whose three URLs do not name three servers, or a server that is not the one expected
 * (`expected`, from the operator's settings): a force's rooms made on the public server, or on the other force's,
 * would break rules 1 and 2 (docs/architecture.md, "Federated topology"). Checked before any room is made.
 */
function checkServerNames(
  bots: Record<ServerRole, BotCredentials>,
  expected: Partial<Record<ServerRole, string>>,
): void {
  const names = {} as Record<ServerRole, string>;
  for (const role of ['public', ...FORCES] as const) {
    names[role] = serverNameOfUser(bots[role].userId);
    const wanted = expected[role];
    if (wanted && wanted !== names[role])
      throw new Error(`the ${role} server serves ${names[role]}, but its expected server name is ${wanted}`);
  }
  if (new Set(Object.values(names)).size !== 3)
    throw new Error(
      `the public, police and gendarmerie URLs must reach three different servers (they serve ${Object.values(names).join(', ')})`,
    );
}

/**
 * Creates, or finds again, the bot's three accounts, each force's rooms on its own server and, with `demo`,
 * each force's demo staff on its own server. Idempotent, as the single-server bootstrap.
 */
export async function bootstrapFederated(
  servers: FederatedHomeservers,
  options: { stateDir: string; demo: boolean; serverNames?: Partial<Record<ServerRole, string>> },
): Promise<FederatedBootstrapResult> {
  bridgeMatrixBotSdkLogs();
  const bots = {} as Record<ServerRole, BotCredentials>;
  for (const role of ['public', ...FORCES] as const) {
    bots[role] = await ensureBotAccount(
      servers[role],
      join(serverStateDir(options.stateDir, role), 'bot-credentials.json'),
    );
  }
  checkServerNames(bots, options.serverNames ?? {});
  const forces = {} as Record<Force, ForceRooms>;
  const clients = {} as Record<Force, Matrix>;
  for (const force of FORCES) {
    clients[force] = new Matrix(servers[force].baseUrl, bots[force].accessToken, bots[force].userId);
    forces[force] = await ensureForceRooms(
      clients[force],
      serverNameOfUser(bots[force].userId),
      force,
      bots[force].userId,
    );
  }

  const demo: FederatedDemoAccount[] = [];
  const newDemoAccounts: FederatedDemoAccount[] = [];
  if (options.demo) {
    const file = join(options.stateDir, 'demo-credentials.json');
    // Accounts of a file from before opaque localparts (no handle) are not reused: new ones are made.
    const saved = new Map(
      (readJsonFile<FederatedDemoAccount[]>(file) ?? [])
        .filter((account) => typeof account.handle === 'string')
        .map((account) => [account.handle, account]),
    );
    for (const { handle, ...spec } of DEMO_STAFF) {
      const serverName = serverNameOfUser(bots[spec.force].userId);
      const known = saved.get(handle);
      const localpart = known?.localpart ?? opaqueLocalpart();
      const result = await ensureStaffMember(clients[spec.force], serverName, forces[spec.force], {
        ...spec,
        localpart,
        ...(known ? {} : { resetPassword: true, password: generatePassword() }),
      });
      const password = result.password ?? known?.password;
      if (!password) throw new Error(`no password known for demo account ${handle}`);
      const account: FederatedDemoAccount = {
        handle,
        userId: result.userId,
        localpart,
        password,
        force: spec.force,
        role: spec.role,
        pseudonym: spec.pseudonym,
        homeserverUrl: servers[spec.force].baseUrl,
        serverName,
      };
      demo.push(account);
      if (result.password) newDemoAccounts.push(account);
    }
    writePrivateJson(file, demo);
  }

  const descriptor: FederationDescriptor = {
    servers: Object.fromEntries(
      (['public', ...FORCES] as const).map((role) => [
        role,
        {
          serverName: serverNameOfUser(bots[role].userId),
          baseUrl: servers[role].baseUrl,
          botUserId: bots[role].userId,
        },
      ]),
    ) as FederationDescriptor['servers'],
    forces,
  };
  writePrivateJson(join(options.stateDir, FEDERATION_FILE), descriptor);
  log.info(
    { servers: Object.values(descriptor.servers).map((server) => server.serverName), demoAccounts: demo.length },
    'federated bootstrap done',
  );
  return { ...descriptor, bots, demo, newDemoAccounts };
}
