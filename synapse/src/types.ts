export type HomeserverSource = 'existing' | 'docker' | 'native';

/** A running homeserver the rest of the project can talk to, whatever provided it. */
export interface Homeserver {
  source: HomeserverSource;
  /** Client-server API base URL, without a trailing slash. */
  baseUrl: string;
  serverName: string;
  version: string;
  /** Lets the bootstrap create the bot account (shared-secret registration); absent for an existing server given an admin token. */
  registrationSharedSecret?: string;
  /** An admin access token, when the existing server was given one instead of the shared secret. */
  adminToken?: string;
  logFile?: string;
  /** Native only: file holding the Synapse process ID while it runs. */
  processFile?: string;
  dataDir?: string;
  /** Native only, when a metrics port was asked for: Synapse's Prometheus endpoint. */
  metricsUrl?: string;
  /** Stops what this process started; a no-op for an existing server. */
  stop(): Promise<void>;
}
