import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('bot configuration', () => {
  it('reads the environment with defaults', () => {
    const config = loadConfig({
      ESPACE_HOMESERVER_URL: 'http://127.0.0.1:8008/',
      ESPACE_STATE_DIR: '/tmp/x',
      ESPACE_WEB_ORIGINS: 'http://localhost:5173, http://127.0.0.1:5173',
    });
    expect(config.homeserverUrl).toBe('http://127.0.0.1:8008');
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8090 });
    expect(config.webOrigins).toEqual(['http://localhost:5173', 'http://127.0.0.1:5173']);
    expect(config.timeouts.overflow).toBe(600);
  });

  it('fails naming the key path', () => {
    expect(() => loadConfig({ ESPACE_STATE_DIR: '/tmp/x' })).toThrow(/homeserverUrl/);
    expect(() =>
      loadConfig({ ESPACE_HOMESERVER_URL: 'http://h', ESPACE_STATE_DIR: '/tmp/x', ESPACE_BOT_PORT: 'abc' }),
    ).toThrow(/ESPACE_BOT_PORT/);
    expect(() =>
      loadConfig({ ESPACE_HOMESERVER_URL: 'http://h', ESPACE_STATE_DIR: '/tmp/x', ESPACE_BOT_PORT: '70000' }),
    ).toThrow(/listen\.port/);
  });

  it('applies overrides for tests', () => {
    const config = loadConfig(
      { ESPACE_HOMESERVER_URL: 'http://h', ESPACE_STATE_DIR: '/tmp/x' },
      { timeouts: { overflow: 2 }, listen: { port: 0 } },
    );
    expect(config.timeouts.overflow).toBe(2);
    expect(config.timeouts.triageSilence).toBe(1800);
    expect(config.listen.port).toBe(0);
  });

  it('keeps ended conversations 90 days by default; the environment sets retention in seconds', () => {
    const defaults = loadConfig({ ESPACE_HOMESERVER_URL: 'http://h', ESPACE_STATE_DIR: '/tmp/x' });
    // Disclosure rooms (connection IPs) are kept as long as Synapse keeps the IPs themselves: 7 days.
    // Staff rooms' messages outlive a conversation's period by a margin; exports stay a week in the supervisors room.
    expect(defaults.retention).toEqual({
      period: 90 * 24 * 3600,
      sweepInterval: 600,
      disclosureTtl: 1800,
      disclosureRoomPeriod: 7 * 24 * 3600,
      staffRoomPeriod: 120 * 24 * 3600,
      exportPeriod: 7 * 24 * 3600,
    });
    const short = loadConfig({
      ESPACE_HOMESERVER_URL: 'http://h',
      ESPACE_STATE_DIR: '/tmp/x',
      ESPACE_RETENTION_PERIOD: '4',
      ESPACE_DISCLOSURE_TTL: '2',
      ESPACE_DISCLOSURE_ROOM_PERIOD: '3',
      ESPACE_STAFF_ROOM_PERIOD: '86400',
      ESPACE_EXPORT_PERIOD: '5',
    });
    expect(short.retention.staffRoomPeriod).toBe(86_400);
    expect(short.retention.exportPeriod).toBe(5);
    expect(short.retention.period).toBe(4);
    expect(short.retention.disclosureTtl).toBe(2);
    expect(short.retention.disclosureRoomPeriod).toBe(3);
    expect(() =>
      loadConfig({ ESPACE_HOMESERVER_URL: 'http://h', ESPACE_STATE_DIR: '/tmp/x', ESPACE_RETENTION_PERIOD: '0' }),
    ).toThrow(/retention\.period/);
  });
});
