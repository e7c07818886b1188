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
    expect(() => resolveConfig({ homeserverUrl: 'https://x', botUserIds: ['bot'] }, {})).toThrow(/botUserIds\.0/);
    expect(() => resolveConfig({ homeserverUrl: 'https://x', botUserIds: [] }, {})).toThrow(/botUserIds/);
    expect(() => resolveConfig({ homeserverUrl: 'https://x', botUserIds: '@espace-bot:a' }, {})).toThrow(/botUserIds/);
    expect(() => resolveConfig({ homeserverUrl: 'https://x', botUserIds: ['@b:a', '@b:a'] }, {})).toThrow(/twice/);
  });

  it('lists the bot accounts of a federated deployment, from the file or the environment', () => {
    const ids = ['@espace-bot:127.0.0.3', '@espace-bot:127.0.0.2'];
    expect(resolveConfig({ homeserverUrl: 'https://x', botUserIds: ids }, {}).botUserIds).toEqual(ids);
    expect(
      resolveConfig(
        { homeserverUrl: 'https://x' },
        { ESPACE_AGENT_BOT_USER_IDS: ' @espace-bot:127.0.0.3, @espace-bot:127.0.0.2' },
      ).botUserIds,
    ).toEqual(ids);
    expect(resolveConfig({ homeserverUrl: 'https://x' }, {}).botUserIds).toBeUndefined();
  });

  it('refuses the single-account key of earlier versions instead of ignoring it', () => {
    expect(() => resolveConfig({ homeserverUrl: 'https://x', botUserId: '@espace-bot:a' }, {})).toThrow(
      /botUserId: replaced by botUserIds/,
    );
  });
});
