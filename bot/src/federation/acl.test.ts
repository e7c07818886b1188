import { describe, expect, it } from 'vitest';
import { aclAllows, aclHost, conversationServerAcl } from './acl.ts';
import { serverNameOfUser } from './servers.ts';

describe('conversationServerAcl', () => {
  it('allows exactly the public server and the serving force, by host and by full name, IP literals only when used', () => {
    const acl = conversationServerAcl('127.0.0.2:8448', '127.0.0.3:8448');
    expect(acl).toEqual({
      allow: ['127.0.0.2', '127.0.0.2:8448', '127.0.0.3', '127.0.0.3:8448'],
      deny: [],
      allow_ip_literals: true,
    });
    expect(aclAllows(acl, '127.0.0.2:8448')).toBe(true);
    expect(aclAllows(acl, '127.0.0.3:9000')).toBe(true);
    expect(aclAllows(acl, '127.0.0.4:8448')).toBe(false);
    expect(aclAllows(acl, '127.0.0.30:8448')).toBe(false);
    expect(aclAllows(acl, 'matrix.org')).toBe(false);
  });

  it('refuses IP literals as a class when the deployment uses DNS names', () => {
    const acl = conversationServerAcl('public.example.fr', 'police.example.fr:8448');
    expect(acl).toEqual({
      allow: ['public.example.fr', 'police.example.fr', 'police.example.fr:8448'],
      deny: [],
      allow_ip_literals: false,
    });
    expect(aclAllows(acl, '10.0.0.1')).toBe(false);
    expect(aclAllows(acl, 'gendarmerie.example.fr')).toBe(false);
  });

  it('rejects what is not a server name (no glob can slip in)', () => {
    expect(() => conversationServerAcl('*', 'police.example.fr')).toThrow(/not a server name/);
    expect(() => aclHost('a?b')).toThrow(/not a server name/);
    expect(aclHost('[::1]:8448')).toBe('[::1]');
  });
});

describe('serverNameOfUser', () => {
  it('keeps the port of an IP-literal server name', () => {
    expect(serverNameOfUser('@pn-agent-1:127.0.0.3:8448')).toBe('127.0.0.3:8448');
    expect(() => serverNameOfUser('pn-agent-1')).toThrow(/not a Matrix user ID/);
  });
});
