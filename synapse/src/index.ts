export { startHomeserver, DEFAULT_SERVER_NAME, type HomeserverOptions } from './homeserver.ts';
export type { Homeserver, HomeserverSource } from './types.ts';
export { HomeserverError, type HomeserverErrorCode } from './errors.ts';
export { ensureSynapseTree, defaultTreeDir, readTree, type SynapseTree } from './tree.ts';
export { renderHomeserverConfig, fillTemplate, CONFIG_DIR, type ConfigLayer, type DatabaseSettings } from './config.ts';
export { loadOrCreateSecrets, type HomeserverSecrets } from './secrets.ts';
export { registerWithSharedSecret, passwordLogin, MatrixHttpError, type RegisteredUser } from './admin.ts';
export { freePort, waitForHealth } from './net.ts';
export { SYNAPSE_IMAGE } from './docker.ts';
