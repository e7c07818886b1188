/**
 * Synapse's blocklist of private and loopback ranges, with holes for the deployment's own addresses.
 *
 * Why not `ip_range_whitelist` alone: Synapse 1.160 checks an IP-literal server name (`127.0.0.3:8448`) against
 * the blocklist only (matrixfederationclient.py wraps its agent in a BlocklistingAgentWrapper without the
 * allowlist), so a whitelisted loopback address is still refused with "403: IP address blocked". The blocklist
 * itself must leave the deployment's addresses out, and nothing more: every other loopback or private address
 * (an outsider on 127.0.0.5, the cloud metadata service) stays blocked.
 */

/** Synapse's DEFAULT_IP_RANGE_BLOCKLIST (synapse/config/server.py, 1.160). */
export const SYNAPSE_DEFAULT_IP_BLOCKLIST: readonly string[] = [
  '127.0.0.0/8',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '192.0.0.0/24',
  '169.254.0.0/16',
  '192.88.99.0/24',
  '198.18.0.0/15',
  '192.0.2.0/24',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '::1/128',
  'fe80::/10',
  'fc00::/7',
  '2001:db8::/32',
  'ff00::/8',
  'fec0::/10',
];

function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) return undefined;
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

function carve(base: number, bits: number, holes: readonly number[]): string[] {
  const size = 2 ** (32 - bits);
  const inside = holes.filter((hole) => hole >= base && hole < base + size);
  if (inside.length === 0) return [`${formatIpv4(base)}/${bits}`];
  if (bits === 32) return [];
  return [...carve(base, bits + 1, inside), ...carve(base + size / 2, bits + 1, inside)];
}

/** `ranges` with every IPv4 address of `hosts` removed (IPv6 ranges and DNS names are left as they are). */
export function blocklistWithout(ranges: readonly string[], hosts: readonly string[]): string[] {
  const holes = hosts.map(parseIpv4).filter((value): value is number => value !== undefined);
  return ranges.flatMap((range) => {
    const [address, prefix] = range.split('/');
    const base = parseIpv4(address ?? '');
    const bits = Number(prefix ?? '32');
    if (base === undefined || !Number.isInteger(bits)) return [range];
    return carve(base, bits, holes);
  });
}
