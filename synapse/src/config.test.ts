import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fillTemplate, renderHomeserverConfig, type RenderParams } from './config.ts';

function params(overrides: Partial<RenderParams> = {}): RenderParams {
  return {
    serverName: 'example.localhost',
    publicBaseUrl: 'http://127.0.0.1:8008/',
    port: 8008,
    bindAddresses: ['127.0.0.1'],
    xForwarded: false,
    database: { kind: 'sqlite', path: '/data/homeserver.db' },
    dataDir: '/data',
    paths: {
      pidFile: '/data/pid',
      logConfig: '/data/log.yaml',
      logFile: '/data/hs.log',
      mediaStore: '/data/media',
      signingKey: '/data/signing.key',
    },
    secrets: {
      registrationSharedSecret: 'r'.repeat(40),
      macaroonSecretKey: 'm'.repeat(40),
      formSecret: 'f'.repeat(40),
    },
    retention: { min: '1d', max: '365d' },
    logLevel: 'INFO',
    layers: [],
    ...overrides,
  };
}

describe('renderHomeserverConfig', () => {
  it('serves the client API only: no federation or key resource, no second listener', () => {
    const config = parse(renderHomeserverConfig(params()).homeserver);
    expect(config.listeners).toHaveLength(1);
    expect(config.listeners[0].resources).toEqual([{ names: ['client'], compress: false }]);
    expect(config.federation_domain_whitelist).toEqual([]);
    expect(config.trusted_key_servers).toEqual([]);
    // Nor does any process work out where to send each event.
    expect(config.federation_sender_instances).toEqual([]);
  });

  it('has metrics off and no metrics listener unless a metrics port is given', () => {
    const config = parse(renderHomeserverConfig(params()).homeserver);
    expect(config.enable_metrics).toBe(false);
    expect(config.listeners.map((listener: { type: string }) => listener.type)).toEqual(['http']);
  });

  it('serves metrics on the internal address it is given, on a listener of its own without client resources', () => {
    const config = parse(
      renderHomeserverConfig(params({ metrics: { port: 9000, bindAddresses: ['10.0.0.5'] } })).homeserver,
    );
    expect(config.enable_metrics).toBe(true);
    expect(config.listeners).toEqual([
      expect.objectContaining({ type: 'http', port: 8008 }),
      { port: 9000, bind_addresses: ['10.0.0.5'], type: 'metrics' },
    ]);
    expect(() => renderHomeserverConfig(params({ metrics: { port: 0, bindAddresses: ['127.0.0.1'] } }))).toThrow(
      /metrics port/,
    );
  });

  it('keeps the privacy settings the design requires', () => {
    const config = parse(renderHomeserverConfig(params()).homeserver);
    expect(config).toMatchObject({
      allow_guest_access: true,
      enable_registration: false,
      url_preview_enabled: false,
      presence: { enabled: false },
      enable_room_list_search: false,
      limit_profile_requests_to_users_who_share_rooms: true,
      require_auth_for_profile_requests: true,
      user_directory: { search_all_users: false },
      encryption_enabled_by_default_for_room_type: 'off',
      retention: { enabled: true },
    });
    expect(config.user_ips_max_age).toBeDefined();
    expect(config.redaction_retention_period).toBeDefined();
  });

  it('renders a PostgreSQL block from a URL, decoding credentials', () => {
    const config = parse(
      renderHomeserverConfig(
        params({ database: { kind: 'postgres', url: 'postgres://syn%40apse:p%3Ass@db:5433/synapse' } }),
      ).homeserver,
    );
    expect(config.database).toMatchObject({
      name: 'psycopg2',
      args: { user: 'syn@apse', password: 'p:ss', host: 'db', port: 5433, database: 'synapse' },
    });
  });

  it('rejects a database URL that is not PostgreSQL, naming the problem', () => {
    expect(() => renderHomeserverConfig(params({ database: { kind: 'postgres', url: 'mysql://x@y/z' } }))).toThrow(
      /protocol must be postgres/,
    );
  });

  it('keeps production rate limits unless the test layer is asked for, and then only raises per-address ones', () => {
    const production = parse(renderHomeserverConfig(params()).homeserver);
    const test = parse(renderHomeserverConfig(params({ layers: ['test'] })).homeserver);
    expect(production.rc_registration.burst_count).toBe(30);
    expect(test.rc_registration.burst_count).toBeGreaterThan(production.rc_registration.burst_count);
    // Per-account limits are what a young person meets: tests see the production figures.
    expect(test.rc_message).toEqual(production.rc_message);
    // Merging is deep: keys the layer does not name survive.
    expect(test.retention.enabled).toBe(true);
    expect(test.retention.purge_jobs).toEqual(production.retention.purge_jobs);
  });
});

describe('fillTemplate', () => {
  it('quotes values so that a hostile value cannot add YAML keys', () => {
    const filled = fillTemplate('server_name: {{ server_name }}\n', { server_name: 'x\nenable_registration: true' });
    expect(parse(filled)).toEqual({ server_name: 'x\nenable_registration: true' });
  });

  it('fails on a placeholder without a value', () => {
    expect(() => fillTemplate('a: {{ missing }}', {})).toThrow(/missing/);
  });

  describe('in the federated topology', () => {
    const federation = {
      port: 8448,
      bindAddresses: ['127.0.0.3'],
      tlsCertificate: '/data/tls/federation.crt',
      tlsPrivateKey: '/data/tls/federation.key',
      caCertificate: '/data/ca/ca.pem',
      domainWhitelist: ['127.0.0.2:8448', '127.0.0.3:8448', '127.0.0.4:8448'],
      ipRangeWhitelist: ['127.0.0.2/32', '127.0.0.3/32', '127.0.0.4/32'],
      allowGuests: false,
    };

    it('adds a TLS federation listener and closes the federation to the deployment, trusting its CA only', () => {
      const config = parse(renderHomeserverConfig(params({ serverName: '127.0.0.3:8448', federation })).homeserver);
      expect(config.listeners).toHaveLength(2);
      expect(config.listeners[0].resources).toEqual([{ names: ['client'], compress: false }]);
      expect(config.listeners[1]).toMatchObject({
        port: 8448,
        tls: true,
        bind_addresses: ['127.0.0.3'],
        resources: [{ names: ['federation', 'keys'] }],
      });
      expect(config.federation_domain_whitelist).toEqual(federation.domainWhitelist);
      // The main process sends federation traffic (Synapse's default, which the template turns off).
      expect(config).not.toHaveProperty('federation_sender_instances');
      expect(config.federation_custom_ca_list).toEqual(['/data/ca/ca.pem']);
      expect(config.federation_verify_certificates).toBe(true);
      expect(config.ip_range_whitelist).toEqual(federation.ipRangeWhitelist);
      expect(config.trusted_key_servers).toEqual([]);
      expect(config.tls_certificate_path).toBe('/data/tls/federation.crt');
      expect(config.allow_guest_access).toBe(false);
    });

    it('refuses a whitelist that omits the server itself or names no peer', () => {
      expect(() => renderHomeserverConfig(params({ serverName: '127.0.0.9:8448', federation }))).toThrow(
        /must list this server/,
      );
      expect(() =>
        renderHomeserverConfig(
          params({ serverName: '127.0.0.3:8448', federation: { ...federation, domainWhitelist: ['127.0.0.3:8448'] } }),
        ),
      ).toThrow(/at least one other/);
    });
  });
});
