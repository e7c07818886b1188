import { join, resolve } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';

const AGENT_CLIENT = resolve(import.meta.dirname, '..', '..', 'agent-client');

export interface AgentClientServer {
  /** e.g. http://127.0.0.1:43210/ */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the agent client (Vite dev server, any free port) against a homeserver, for the browser tests. Its one
 * config module (agent-client/src/config.ts) reads ESPACE_AGENT_HOMESERVER_URL and ESPACE_AGENT_BOT_USER_IDS,
 * which Vite exposes to the client: `botUserIds` lists the bot's accounts in the federated topology (one per
 * server); without it the client takes the bot on the agent's own server.
 */
export async function startAgentClient(
  homeserverUrl: string,
  botUserIds?: readonly string[],
): Promise<AgentClientServer> {
  process.env.ESPACE_AGENT_HOMESERVER_URL = homeserverUrl;
  if (botUserIds) process.env.ESPACE_AGENT_BOT_USER_IDS = botUserIds.join(',');
  else delete process.env.ESPACE_AGENT_BOT_USER_IDS;
  const vite: ViteDevServer = await createServer({
    configFile: join(AGENT_CLIENT, 'vite.config.ts'),
    root: AGENT_CLIENT,
    server: { port: 0, host: '127.0.0.1' },
    logLevel: 'warn',
  });
  await vite.listen();
  const address = vite.httpServer?.address();
  if (!address || typeof address === 'string') {
    await vite.close();
    throw new Error('vite did not report a port');
  }
  return { url: `http://127.0.0.1:${address.port}/`, close: () => vite.close() };
}
