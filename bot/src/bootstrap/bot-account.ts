import { MatrixHttpError, passwordLogin, registerWithSharedSecret, type Homeserver } from '@espace-mineurs/synapse';
import { logger } from '../log.ts';
import { putAdminUser } from '../matrix/admin.ts';
import { Matrix } from '../matrix/client.ts';
import { HomeserverError } from '../matrix/errors.ts';
import { whoami } from '../matrix/transport.ts';
import { readJsonFile, writePrivateJson } from './files.ts';
import { exemptFromRateLimits, generatePassword } from './staff.ts';

const log = logger.child({ module: 'bootstrap.bot' });

export const BOT_LOCALPART = 'espace-bot';
export const BOT_DISPLAY_NAME = 'Espace mineurs';

export interface BotCredentials {
  userId: string;
  password: string;
  accessToken: string;
  deviceId: string;
}

async function tokenWorks(baseUrl: string, token: string): Promise<boolean> {
  try {
    await whoami(baseUrl, token);
    return true;
  } catch (error) {
    if (error instanceof HomeserverError) return false;
    throw error;
  }
}

/**
 * Creates the bot account (a server admin) or finds it again, and returns working credentials, kept in a
 * 0600 file so the bot keeps one device across restarts. The bot is exempted from rate limits.
 */
export async function ensureBotAccount(hs: Homeserver, credentialsFile: string): Promise<BotCredentials> {
  const saved = readJsonFile<BotCredentials>(credentialsFile);
  if (saved) {
    if (await tokenWorks(hs.baseUrl, saved.accessToken)) return saved;
    const login = await passwordLogin(hs.baseUrl, BOT_LOCALPART, saved.password, saved.deviceId);
    if (!login) {
      throw new Error(
        `the bot's saved password in ${credentialsFile} no longer works on ${hs.baseUrl}. If this data directory ` +
          'belongs to another homeserver, delete it (or set ESPACE_DATA_DIR to a fresh folder).',
      );
    }
    const renewed = { ...saved, accessToken: login.accessToken, deviceId: login.deviceId };
    writePrivateJson(credentialsFile, renewed);
    return renewed;
  }

  const password = generatePassword();
  let registered;
  if (hs.registrationSharedSecret) {
    try {
      registered = await registerWithSharedSecret(hs.baseUrl, hs.registrationSharedSecret, {
        localpart: BOT_LOCALPART,
        password,
        admin: true,
        displayName: BOT_DISPLAY_NAME,
      });
    } catch (error) {
      if (error instanceof MatrixHttpError && error.errcode === 'M_USER_IN_USE') {
        throw new Error(
          `the account ${BOT_LOCALPART} already exists on ${hs.baseUrl} but ${credentialsFile} is missing. Restore that ` +
            'file, or start from a fresh homeserver data directory.',
          { cause: error },
        );
      }
      throw error;
    }
  } else if (hs.adminToken) {
    const operator = await whoami(hs.baseUrl, hs.adminToken);
    const admin = new Matrix(hs.baseUrl, hs.adminToken, operator.user_id);
    const userId = `@${BOT_LOCALPART}:${operator.user_id.slice(operator.user_id.indexOf(':') + 1)}`;
    await putAdminUser(admin, userId, { password, admin: true, displayname: BOT_DISPLAY_NAME });
    const login = await passwordLogin(hs.baseUrl, BOT_LOCALPART, password);
    if (!login) throw new Error('created the bot account with the admin token but could not log in with it');
    registered = login;
  } else {
    throw new Error(
      'the homeserver gave neither a registration shared secret nor an admin token: cannot create the bot account',
    );
  }
  const credentials: BotCredentials = {
    userId: registered.userId,
    password,
    accessToken: registered.accessToken,
    deviceId: registered.deviceId,
  };
  writePrivateJson(credentialsFile, credentials);
  log.info({ userId: credentials.userId }, 'created the bot account');
  await exemptFromRateLimits(new Matrix(hs.baseUrl, credentials.accessToken, credentials.userId), credentials.userId);
  return credentials;
}
