export { startHomeserver, DEFAULT_SERVER_NAME, type HomeserverOptions } from './homeserver.ts';
export type { Homeserver, HomeserverSource } from './types.ts';
export { HomeserverError, type HomeserverErrorCode } from './errors.ts';
export { ensureSynapseTree, defaultTreeDir, readTree, type SynapseTree } from './tree.ts';
export {
  renderHomeserverConfig,
  fillTemplate,
  CONFIG_DIR,
  type ConfigLayer,
  type DatabaseSettings,
  type FederationSettings,
} from './config.ts';
export { loadOrCreateSecrets, type HomeserverSecrets } from './secrets.ts';
export { registerWithSharedSecret, passwordLogin, MatrixHttpError, type RegisteredUser } from './admin.ts';
export { freePort, waitForHealth } from './net.ts';
export { SYNAPSE_IMAGE } from './docker.ts';
export { runNativeSynapse, type RunNativeOptions } from './native.ts';
export { startPostgres, findPostgresBin, type PostgresOptions, type PostgresServer } from './postgres.ts';
export { ensureDeploymentCa, ensureServerCertificate, type DeploymentCa, type ServerCertificate } from './ca.ts';
export {
  startFederatedTopology,
  startFederatedServer,
  serverNameOf,
  FEDERATED_ROLES,
  DEFAULT_FEDERATED_HOSTS,
  type FederatedRole,
  type FederatedAddress,
  type FederatedServer,
  type FederatedTopology,
  type FederatedTopologyOptions,
  type FederatedServerOptions,
} from './federation.ts';
