import { z } from 'zod';

/**
 * The one config module of the agent client. One build serves any deployment. Sources, later ones winning:
 * 1. the page's own origin as homeserver — in production the agents' host proxies /_matrix (deploy/proxy);
 * 2. `config.json` next to index.html, when the deployment writes one;
 * 3. build-time environment: ESPACE_AGENT_HOMESERVER_URL / ESPACE_AGENT_BOT_USER_IDS, or VITE_HOMESERVER_URL as
 *    the dev orchestrator (scripts/up.ts) sets it for every front end.
 */
const MatrixUserId = z.string().regex(/^@[^:]+:.+$/, 'expected a Matrix user ID, @name:server');

export const AgentClientConfig = z.object({
  /** Base URL of the Synapse client API, e.g. https://matrix.espace-mineurs.fr */
  homeserverUrl: z.url({ protocol: /^https?$/ }),
  /**
   * The conversation service's accounts, every one of the deployment: one on a single server; in the federated
   * topology one per homeserver, since the young person's room speaks through the public server's account and the
   * force's rooms through the force server's (docs/architecture.md, "Federated topology"). Only their events are
   * trusted as structured data. Defaults to [@espace-bot:<server name of the logged-in agent>].
   */
  botUserIds: z
    .array(MatrixUserId)
    .min(1)
    .refine((ids) => new Set(ids).size === ids.length, 'lists an account twice')
    .optional(),
});
export type AgentClientConfig = z.infer<typeof AgentClientConfig>;

export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
}

/** Merges the file and the environment (environment wins), then validates; the error names the key path. */
export function resolveConfig(
  fromFile: unknown,
  env: Record<string, string | undefined>,
  pageOrigin?: string,
): AgentClientConfig {
  const base: Record<string, unknown> = pageOrigin ? { homeserverUrl: pageOrigin } : {};
  if (typeof fromFile === 'object' && fromFile !== null) Object.assign(base, fromFile);
  const envHomeserver = env.ESPACE_AGENT_HOMESERVER_URL || env.VITE_HOMESERVER_URL;
  if (envHomeserver) base.homeserverUrl = envHomeserver;
  if (env.ESPACE_AGENT_BOT_USER_IDS) base.botUserIds = env.ESPACE_AGENT_BOT_USER_IDS.split(',').map((id) => id.trim());
  // The single-account key of earlier versions: refused rather than silently ignored, so that a deployment that
  // still writes it learns why the bot's events are not recognised.
  if ('botUserId' in base) throw new ConfigError('config.json: botUserId: replaced by botUserIds, a list of accounts');
  const parsed = AgentClientConfig.safeParse(base);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue && issue.path.length > 0 ? issue.path.join('.') : '(config)';
    throw new ConfigError(`config.json: ${path}: ${issue?.message ?? 'invalid'}`);
  }
  return { ...parsed.data, homeserverUrl: parsed.data.homeserverUrl.replace(/\/+$/, '') };
}

/** Loads config.json (absent is fine when the environment gives everything). */
export async function loadConfig(): Promise<AgentClientConfig> {
  let fromFile: unknown = {};
  try {
    const response = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store' });
    if (response.ok) fromFile = await response.json();
  } catch {
    // No file, or not JSON: the environment must then provide the values, and validation says which is missing.
  }
  return resolveConfig(fromFile, import.meta.env as Record<string, string | undefined>, window.location.origin);
}
