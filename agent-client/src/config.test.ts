import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from './config.ts';

describe('resolveConfig', () => {
  it('reads the file and lets the environment override it', () => {
    expect(resolveConfig({ homeserverUrl: 'https://a.example/' }, {})).toEqual({ homeserverUrl: 'https://a.example' });
    expect(resolveConfig({ homeserverUrl: 'https://a.example' }, { ESPACE_AGENT_HOMESERVER_URL: 'http://127.0.0.1:8008' }).homeserverUrl).toBe('http://127.0.0.1:8008');
  });
  it('names the bad key', () => {
    expect(() => resolveConfig({}, {})).toThrow(ConfigError);
    expect(() => resolveConfig({ homeserverUrl: 'ftp://x' }, {})).toThrow(/homeserverUrl/);
    expect(() => resolveConfig({ homeserverUrl: 'https://x', botUserId: 'bot' }, {})).toThrow(/botUserId/);
  });
});
