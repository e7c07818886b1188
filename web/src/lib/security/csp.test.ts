import { describe, expect, it } from 'vitest';
import { withConnectSrc } from './csp.ts';

describe('withConnectSrc', () => {
  it('replaces the placeholder directive and keeps the others in place', () => {
    const policy = "default-src 'none'; connect-src 'self'; frame-ancestors 'none'";
    expect(withConnectSrc(policy, ['http://127.0.0.1:8008', 'http://127.0.0.1:8090'])).toBe(
      "default-src 'none'; connect-src 'self' http://127.0.0.1:8008 http://127.0.0.1:8090; frame-ancestors 'none'",
    );
  });

  it('adds the directive when the policy has none', () => {
    expect(withConnectSrc("default-src 'none'", ['https://matrix.example'])).toBe(
      "default-src 'none'; connect-src 'self' https://matrix.example",
    );
  });

  it('does not mistake another directive for connect-src', () => {
    const policy = "connect-src-elem x; script-src 'self'";
    expect(withConnectSrc(policy, [])).toBe("connect-src-elem x; script-src 'self'; connect-src 'self'");
  });
});
