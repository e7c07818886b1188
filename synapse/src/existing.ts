import { HomeserverError } from './errors.ts';
import type { Homeserver } from './types.ts';

export interface ExistingServer {
  url: string;
  registrationSharedSecret?: string;
  adminToken?: string;
}

/** Uses a homeserver someone else runs. Needs either its registration shared secret or an admin token. */
export async function useExistingSynapse(server: ExistingServer): Promise<Homeserver> {
  const baseUrl = server.url.replace(/\/+$/, '');
  if (!server.registrationSharedSecret && !server.adminToken) {
    throw new HomeserverError(
      'CONFIG_INVALID',
      'ESPACE_SYNAPSE_URL is set: also set ESPACE_SYNAPSE_REGISTRATION_SECRET (registration_shared_secret) or ' +
        'ESPACE_SYNAPSE_ADMIN_TOKEN (a server admin access token) so the bootstrap can create the bot account',
    );
  }
  let serverName: string | undefined;
  let version = 'unknown';
  try {
    const versions = await fetch(`${baseUrl}/_matrix/client/versions`, { signal: AbortSignal.timeout(5000) });
    if (!versions.ok) throw new Error(`HTTP ${versions.status}`);
    const info = await fetch(`${baseUrl}/_synapse/admin/v1/server_version`, { signal: AbortSignal.timeout(5000) });
    if (info.ok) version = ((await info.json()) as { server_version?: string }).server_version ?? version;
    if (server.adminToken) {
      const whoami = await fetch(`${baseUrl}/_matrix/client/v3/account/whoami`, {
        headers: { authorization: `Bearer ${server.adminToken}` },
        signal: AbortSignal.timeout(5000),
      });
      if (!whoami.ok) throw new Error(`whoami with the admin token answered HTTP ${whoami.status}`);
      const userId = ((await whoami.json()) as { user_id: string }).user_id;
      serverName = userId.slice(userId.indexOf(':') + 1);
    }
  } catch (cause) {
    throw new HomeserverError(
      'EXISTING_UNREACHABLE',
      `${baseUrl} is not a usable Matrix homeserver: ${(cause as Error).message}`,
      { cause },
    );
  }
  return {
    source: 'existing',
    baseUrl,
    // With only the shared secret, the bootstrap learns the server name from the bot account it registers.
    serverName: serverName ?? process.env.ESPACE_SYNAPSE_SERVER_NAME ?? '',
    version,
    ...(server.registrationSharedSecret ? { registrationSharedSecret: server.registrationSharedSecret } : {}),
    ...(server.adminToken ? { adminToken: server.adminToken } : {}),
    stop: async () => {},
  };
}
