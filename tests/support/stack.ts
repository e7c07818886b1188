import type { DemoAccount, ForceRooms } from '@espace-mineurs/bot/bootstrap';
import type { Force } from '@espace-mineurs/protocol';

/** What the global setup hands every test (vitest `inject('stack')`). */
export interface StackInfo {
  baseUrl: string;
  serverName: string;
  source: string;
  synapseVersion: string;
  /** Temporary folder of this run: Synapse data, bot credentials. */
  dataDir: string;
  registrationSharedSecret?: string;
  bot: { userId: string; accessToken: string };
  forces: Record<Force, ForceRooms>;
  demo: DemoAccount[];
  /** The conversation service (bot HTTP API) started by the global setup, e.g. http://127.0.0.1:41234. */
  botUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}
