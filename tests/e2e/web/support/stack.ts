import type { DemoAccount, ForceRooms } from '@espace-mineurs/bot/bootstrap';
import type { Force } from '@espace-mineurs/protocol';

/**
 * What the e2e-web global setup (global-setup.ts) hands every browser test through `inject('webStack')`:
 * one real Synapse, the real bot, the built site, the agent client and a neutral page, all on 127.0.0.1.
 */
export interface WebStack {
  homeserverUrl: string;
  serverName: string;
  /** The built site (node web/build/index.js), e.g. http://127.0.0.1:41000 */
  siteUrl: string;
  /** The real bot's HTTP API. */
  botUrl: string;
  /** The agent client, served by Vite. */
  agentClientUrl: string;
  /** The page the quick exit opens (PUBLIC_QUICK_EXIT_URL), on an origin of its own. */
  neutralUrl: string;
  bot: { userId: string; accessToken: string };
  forces: Record<Force, ForceRooms>;
  demo: DemoAccount[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    webStack: WebStack;
  }
}
