/**
 * Which servers may take part in a young person's room (docs/architecture.md, "Federated topology", rule 1):
 * exactly the public server and the serving force's, enforced by `m.room.server_acl`, which every server of the
 * room applies to every event and request from elsewhere.
 */

export interface ServerAclContent {
  allow: string[];
  deny: string[];
  /**
   * Refused as a class unless the deployment's own servers are named by IP literals (`127.0.0.2:8448` on a test
   * machine); every server but the two is refused by `allow` anyway.
   */
  allow_ip_literals: boolean;
}

/** The host of a server name, without its port; an IPv6 literal keeps its brackets. */
export function aclHost(serverName: string): string {
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(serverName)) throw new Error(`not a server name: ${JSON.stringify(serverName)}`);
  if (serverName.startsWith('[')) return serverName.slice(0, serverName.indexOf(']') + 1);
  return serverName.replace(/:\d+$/, '');
}

function isIpLiteral(host: string): boolean {
  return host.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/**
 * Synapse 1.160 matches a remote server's ACL by its host without the port (federation_server.py,
 * parse_server_name), but checks that a new ACL does not deny the local server by its full name, port included
 * (events/validator.py): a name with a port is therefore allowed in both spellings.
 */
function spellings(serverName: string): string[] {
  const host = aclHost(serverName);
  return host === serverName ? [host] : [host, serverName];
}

export function conversationServerAcl(publicServer: string, forceServer: string): ServerAclContent {
  const allow = [...new Set([...spellings(publicServer), ...spellings(forceServer)])];
  return { allow, deny: [], allow_ip_literals: allow.some((entry) => isIpLiteral(aclHost(entry))) };
}

/** True when `content` (the room's current ACL) admits `serverName` as a remote server, with Synapse's glob rules. */
export function aclAllows(content: Partial<ServerAclContent>, serverName: string): boolean {
  const host = aclHost(serverName);
  if (isIpLiteral(host) && content.allow_ip_literals === false) return false;
  const matches = (glob: string): boolean =>
    new RegExp(
      `^${glob
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    ).test(host);
  if ((content.deny ?? []).some(matches)) return false;
  return (content.allow ?? []).some(matches);
}
