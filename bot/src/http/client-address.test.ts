import { describe, expect, it } from 'vitest';
import { addressKey } from './client-address.ts';
import { OpeningPace } from './rate-limit.ts';

describe('addressKey', () => {
  it('keys an IPv6 client by its /64, whatever the spelling', () => {
    const key = addressKey('2001:db8:1:2::1');
    expect(key).toBe('2001:db8:1:2::/64');
    for (const same of [
      '2001:db8:1:2:ffff:ffff:ffff:ffff',
      '2001:0DB8:0001:0002:0:0:0:9',
      '[2001:db8:1:2::abcd]',
      '2001:db8:1:2::1%eth0',
    ]) {
      expect(addressKey(same), same).toBe(key);
    }
    expect(addressKey('2001:db8:1:3::1')).not.toBe(key);
    expect(addressKey('::')).toBe('0:0:0:0::/64');
    expect(addressKey('2001:db8::1.2.3.4')).toBe('2001:db8:0:0::/64');
  });

  it('keeps IPv4 addresses whole, an IPv4-mapped IPv6 address included', () => {
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('::ffff:cb00:7109')).toBe('203.0.113.9');
    expect(addressKey('203.0.113.10')).not.toBe('203.0.113.9');
  });

  it('leaves anything that is not an address as it is', () => {
    expect(addressKey('unknown')).toBe('unknown');
  });
});

describe('OpeningPace', () => {
  it('lets the soft limit through, slows each further opening a little more, refuses only past the hard bound', () => {
    let now = 0;
    const pace = new OpeningPace({ soft: 2, hard: 5, stepMs: 1000, maxDelayMs: 2500, windowSeconds: 60 }, () => now);
    const seen = Array.from({ length: 6 }, () => pace.hit('a'));
    expect(seen.slice(0, 2)).toEqual([{ kind: 'free' }, { kind: 'free' }]);
    expect(seen.slice(2, 5)).toEqual([
      { kind: 'slowed', delayMs: 1000 },
      { kind: 'slowed', delayMs: 2000 },
      { kind: 'slowed', delayMs: 2500 },
    ]);
    expect(seen[5]).toEqual({ kind: 'refused', retryAfterSeconds: 60 });
    expect(pace.hit('b')).toEqual({ kind: 'free' });
    now = 60_000;
    expect(pace.hit('a')).toEqual({ kind: 'free' });
  });
});
