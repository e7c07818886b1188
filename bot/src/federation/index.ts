export { aclAllows, aclHost, conversationServerAcl, type ServerAclContent } from './acl.ts';
export {
  bootstrapFederated,
  serverStateDir,
  FEDERATION_FILE,
  type FederatedBootstrapResult,
  type FederatedDemoAccount,
  type FederatedHomeservers,
  type FederationDescriptor,
  type ServerRole,
} from './bootstrap.ts';
export {
  federatedRoomCreation,
  membersOnServer,
  moveRoomToForceServer,
  purgeEverywhere,
  SERVER_ACL,
} from './conversation.ts';
export { serverNameOfUser } from './servers.ts';
export { connectHomeserver, type ConnectedHomeserver } from '../matrix/homeserver.ts';
export { discloseAcrossServers } from './disclosure.ts';
