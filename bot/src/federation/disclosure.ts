/**
 * Grave danger in the federated topology (docs/architecture.md, "Federated topology", rule 5): what the public
 * server knows of the guest (admin whois: addresses, user agents, times) is read there, and disclosed only on
 * the force's server, in a room that never federates, through the bot's account on that server.
 */
import { disclose } from '../disclosure/gather.ts';
import type { Homeserver } from '../matrix/homeserver.ts';
import type { Auditor } from '../runtime/safety.ts';

export function discloseAcrossServers(
  servers: { public: Homeserver; force: Homeserver },
  audit: Auditor,
  input: Omit<Parameters<typeof disclose>[1], 'whoisFrom'>,
): ReturnType<typeof disclose> {
  return disclose({ matrix: servers.force, audit }, { ...input, whoisFrom: servers.public });
}
