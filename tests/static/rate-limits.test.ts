import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderHomeserverConfig } from '@espace-mineurs/synapse';
import { parseConfig } from '@espace-mineurs/bot';

/** The production homeserver configuration, as the template renders it without the test layer. */
function productionSynapse(): { rc_registration: { per_second: number; burst_count: number } } {
  return parse(
    renderHomeserverConfig({
      serverName: 'example.localhost',
      publicBaseUrl: 'http://127.0.0.1:8008/',
      port: 8008,
      bindAddresses: ['127.0.0.1'],
      xForwarded: true,
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
    }).homeserver,
  ) as { rc_registration: { per_second: number; burst_count: number } };
}

describe("Synapse's guest registration and the bot's openings per address (docs/personal-data.md)", () => {
  it('agree: the bot slows down where Synapse does, at its pace, and refuses only past what Synapse registers in a window', () => {
    const { rc_registration: registration } = productionSynapse();
    const { rateLimits } = parseConfig({ homeserverUrl: 'http://127.0.0.1:8008', stateDir: '/tmp/unused' });
    // A class that registers together opens together…
    expect(rateLimits.openPerIp).toBe(registration.burst_count);
    // …the next ones are spaced as Synapse spaces their registrations…
    expect(rateLimits.slowdownStepMs).toBe(1000 / registration.per_second);
    // …and a refusal needs more openings than Synapse lets guests register from one address in the window.
    expect(rateLimits.openPerIpHard).toBe(
      registration.burst_count + registration.per_second * rateLimits.windowSeconds,
    );
  });
});
