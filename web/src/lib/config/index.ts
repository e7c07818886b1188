import { PUBLIC_BOT_API_URL, PUBLIC_HOMESERVER_URL, PUBLIC_QUICK_EXIT_URL } from '$app/env/public';
import { connectOrigins } from './urls.ts';

/** The validated configuration (see src/env.ts), under names the code reads well. */
export const config = {
  homeserverUrl: PUBLIC_HOMESERVER_URL,
  botApiUrl: PUBLIC_BOT_API_URL,
  quickExitUrl: PUBLIC_QUICK_EXIT_URL,
} as const;

export function cspConnectSources(): string[] {
  return connectOrigins(config.homeserverUrl, config.botApiUrl);
}
