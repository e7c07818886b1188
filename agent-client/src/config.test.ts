import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from './config.ts';

describe('resolveConfig', () => {
  it('reads the file and lets the environment override it', () => {
    expect(resolveConfig({ homeserverUrl: 'https://a.example/' }, {})).toEqual({ homeserverUrl: 'https://a.example' });
    expect(
      resolveConfig({ homeserverUrl: 'https://a.example' }, { ESPACE_AGENT_HOMESERVER_URL: 'http://127.0.0.1:8008' })
        .homeserverUrl,
    ).toBe('http://127.0.0.1:8008');
  });
  it('falls back to the page origin, and takes the dev orchestrator’s VITE_HOMESERVER_URL', () => {
    expect(resolveConfig({}, {}, 'https://agents.example.fr').homeserverUrl).toBe('https://agents.example.fr');
    expect(
      resolveConfig({ homeserverUrl: 'https://hs.example.fr' }, {}, 'https://agents.example.fr').homeserverUrl,
    ).toBe('https://hs.example.fr');
    expect(
      resolveConfig({}, { VITE_HOMESERVER_URL: 'http://127.0.0.1:8008' }, 'http://127.0.0.1:5174').homeserverUrl,
    ).toBe('http://127.0.0.1:8008');
    expect(
      resolveConfig({}, { VITE_HOMESERVER_URL: 'http://a', ESPACE_AGENT_HOMESERVER_URL: 'http://b' }).homeserverUrl,
    ).toBe('http://b');
  });

  it('names the bad key', () => {
    expect(() => resolveConfig({}, {})).toThrow(ConfigError);
    expect(() => resolveConfig({ homeserverUrl: 'ftp://x' }, {})).toThrow(/homeserverUrl/);
    expect(() => resolveConfig({ homeserverUrl: 'https://x', botUserId: 'bot' }, {})).toThrow(/botUserId/);
  });
});
