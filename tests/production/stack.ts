import type { DemoAccount } from '@espace-mineurs/bot/bootstrap';

/**
 * What tests/production/global-setup.ts hands every test through `inject('productionStack')`: the production-shaped
 * stack of `npm run start:production -- --demo`, started once (scripts/production.ts prints this as its last line).
 */
export interface ProductionStack {
  /** https://site.test:PORT, through the proxy: the only way in for a browser. */
  siteUrl: string;
  agentsUrl: string;
  siteHost: string;
  agentsHost: string;
  httpsPort: number;
  serverName: string;
  /** Caddy's internal CA, which signs both hosts' certificates. */
  caCertificate: string;
  dataDir: string;
  botState: string;
  /** The bot's deletion journal, outside the data folder (the restore test destroys that folder). */
  deletionJournal: string;
  /** Loopback addresses of what must never be reached from outside. */
  internal: {
    postgres: string;
    synapse: string;
    synapseMetrics: string;
    bot: string;
    web: string;
    agentClient: string;
    prometheus: string;
    alertmanager: string;
  };
  demo: DemoAccount[];
  /** The port the Alertmanager receiver of this run posts to (tests/production/alerting.test.ts listens on it). */
  alertWebhookPort: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    productionStack: ProductionStack;
  }
}
