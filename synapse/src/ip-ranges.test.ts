import { describe, expect, it } from 'vitest';
import { blocklistWithout, SYNAPSE_DEFAULT_IP_BLOCKLIST } from './ip-ranges.ts';

function contains(range: string, address: string): boolean {
  const toNumber = (text: string) => text.split('.').reduce((value, part) => value * 256 + Number(part), 0);
  const [base, bits] = range.split('/');
  if (!base?.includes('.')) return false;
  const size = 2 ** (32 - Number(bits));
  const start = toNumber(base);
  return toNumber(address) >= start && toNumber(address) < start + size;
}

describe('blocklistWithout', () => {
  const ranges = blocklistWithout(SYNAPSE_DEFAULT_IP_BLOCKLIST, ['127.0.0.2', '127.0.0.3', '127.0.0.4']);

  it('leaves exactly the deployment addresses out of the blocklist', () => {
    for (const allowed of ['127.0.0.2', '127.0.0.3', '127.0.0.4'])
      expect(ranges.some((range) => contains(range, allowed))).toBe(false);
    for (const blocked of [
      '127.0.0.1',
      '127.0.0.5',
      '127.0.0.0',
      '127.255.255.255',
      '127.1.0.3',
      '10.1.2.3',
      '169.254.169.254',
    ]) {
      expect(ranges.some((range) => contains(range, blocked))).toBe(true);
    }
  });

  it('keeps the IPv6 ranges and the other IPv4 ranges untouched', () => {
    expect(ranges).toContain('::1/128');
    expect(ranges).toContain('10.0.0.0/8');
    expect(blocklistWithout(['10.0.0.0/8'], [])).toEqual(['10.0.0.0/8']);
  });
});
