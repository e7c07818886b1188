import { join } from 'node:path';
import { FORCES, type Force, type StaffRole } from '@espace-mineurs/protocol';
import type { Homeserver } from '@espace-mineurs/synapse';
import { bridgeMatrixBotSdkLogs } from '../log.ts';
import { Matrix } from '../matrix/client.ts';
import { ensureBotAccount, type BotCredentials } from './bot-account.ts';
import { DEMO_STAFF } from './demo.ts';
import { readJsonFile, writePrivateJson } from './files.ts';
import { ensureForceRooms, type ForceRooms } from './rooms.ts';
import { ensureStaffMember, generatePassword, opaqueLocalpart } from './staff.ts';

export { ensureForceRooms, ensureState, roomAliasLocalpart, type ForceRooms } from './rooms.ts';
export { ensureStaffMember, exemptFromRateLimits, generatePassword, opaqueLocalpart, type StaffSpec } from './staff.ts';
export { ensureBotAccount, BOT_LOCALPART, type BotCredentials } from './bot-account.ts';
export { DEMO_STAFF } from './demo.ts';

export interface DemoAccount {
  /** The demo name (`pn-agent-1`) docs and tests use; never on the server. */
  handle: string;
  userId: string;
  /** The opaque login the account really has: what one types in the agent client. */
  localpart: string;
  password: string;
  force: Force;
  role: StaffRole;
  pseudonym: string;
}

export interface BootstrapOptions {
  /** Holds bot-credentials.json and demo-credentials.json (0600). */
  stateDir: string;
  /** Create the demo staff accounts (local stack and tests; never in production). */
  demo: boolean;
}

export interface BootstrapResult {
  serverName: string;
  bot: BotCredentials;
  forces: Record<Force, ForceRooms>;
  demo: DemoAccount[];
  /** Demo accounts whose password this run created: print these once. */
  newDemoAccounts: DemoAccount[];
}

/**
 * Creates, or finds again, everything the service needs on the homeserver: the bot account (admin, not
 * rate-limited), for each force a space with its queue, supervisors and audit rooms, and optionally the demo
 * staff. Idempotent: a second run finds everything by alias and state and writes nothing.
 */
export async function bootstrap(hs: Homeserver, options: BootstrapOptions): Promise<BootstrapResult> {
  bridgeMatrixBotSdkLogs();
  const bot = await ensureBotAccount(hs, join(options.stateDir, 'bot-credentials.json'));
  const serverName = bot.userId.slice(bot.userId.indexOf(':') + 1);
  const client = new Matrix(hs.baseUrl, bot.accessToken, bot.userId);

  const forces = {} as Record<Force, ForceRooms>;
  for (const force of FORCES) forces[force] = await ensureForceRooms(client, serverName, force, bot.userId);

  const demo: DemoAccount[] = [];
  const newDemoAccounts: DemoAccount[] = [];
  if (options.demo) {
    const file = join(options.stateDir, 'demo-credentials.json');
    // Accounts of a file from before opaque localparts (no handle) are not reused: new ones are made.
    const saved = new Map(
      (readJsonFile<DemoAccount[]>(file) ?? [])
        .filter((account) => typeof account.handle === 'string')
        .map((account) => [account.handle, account]),
    );
    for (const { handle, ...spec } of DEMO_STAFF) {
      const known = saved.get(handle);
      const localpart = known?.localpart ?? opaqueLocalpart();
      const result = await ensureStaffMember(client, serverName, forces[spec.force], {
        ...spec,
        localpart,
        // Unknown here (first run, or the credentials file was deleted): give it a fresh password.
        ...(known ? {} : { resetPassword: true, password: generatePassword() }),
      });
      const password = result.password ?? known?.password;
      if (!password) throw new Error(`no password known for demo account ${handle}`);
      const account: DemoAccount = {
        handle,
        userId: result.userId,
        localpart,
        password,
        force: spec.force,
        role: spec.role,
        pseudonym: spec.pseudonym,
      };
      demo.push(account);
      if (result.password) newDemoAccounts.push(account);
    }
    writePrivateJson(file, demo);
  }
  return { serverName, bot, forces, demo, newDemoAccounts };
}
