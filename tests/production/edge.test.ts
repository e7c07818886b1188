import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { describe, expect, inject, it } from 'vitest';
import type { ProductionStack } from './stack.ts';

/**
 * What the public proxy serves, checked on the running stack from outside: over HTTPS to the two hostnames, the
 * certificate verified against Caddy's internal CA (so this is the real TLS a browser sees, not an ignored error).
 */
const stack: ProductionStack = inject('productionStack');
const ca = readFileSync(stack.caCertificate);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET `path` on `host` as sent (no normalisation of `..`), through the proxy on loopback. */
function get(host: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: stack.httpsPort,
        servername: host,
        path,
        method: 'GET',
        ca,
        headers: { host: `${host}:${stack.httpsPort}`, ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          done({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('latin1'),
          }),
        );
      },
    );
    req.on('error', fail);
    req.end();
  });
}

const HOSTS = [stack.siteHost, stack.agentsHost];

/** The directives of a Content-Security-Policy header, by name. */
function csp(answer: Answer): Map<string, string> {
  const value = String(answer.headers['content-security-policy'] ?? '');
  return new Map(
    value
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => [part.split(/\s+/)[0]!, part.slice(part.indexOf(' ') + 1)]),
  );
}

describe('the headers each host serves', () => {
  it.each(HOSTS)(
    '%s: CSP with frame-ancestors none, HSTS, nosniff, no-referrer, on its page and on the APIs',
    async (host) => {
      for (const path of [
        '/',
        '/_matrix/client/versions',
        '/api/conversations/current',
        '/_synapse/admin/v1/server_version',
      ]) {
        const answer = await get(host, path);
        expect(answer.status, `${host}${path}`).toBeLessThan(500);
        expect(csp(answer).get('frame-ancestors'), `${host}${path} frame-ancestors`).toBe("'none'");
        expect(String(answer.headers['strict-transport-security']), `${host}${path}`).toMatch(/^max-age=(\d{8,})/);
        expect(answer.headers['x-content-type-options'], `${host}${path}`).toBe('nosniff');
        expect(answer.headers['referrer-policy'], `${host}${path}`).toBe('no-referrer');
      }
    },
  );

  it('agents: a CSP that allows scripts, styles and connections from its own origin only', async () => {
    const policy = csp(await get(stack.agentsHost, '/'));
    expect(policy.get('default-src')).toBe("'none'");
    expect(policy.get('script-src')).toBe("'self'");
    expect(policy.get('style-src')).toBe("'self'");
    expect(policy.get('connect-src')).toBe("'self'");
    expect(policy.get('object-src')).toBe("'none'");
    expect(policy.get('base-uri')).toBe("'none'");
  });

  it('site: its own CSP (SvelteKit), connecting only to its own origin', async () => {
    const answer = await get(stack.siteHost, '/');
    const policy = csp(answer);
    expect(policy.get('default-src')).toBe("'none'");
    expect(policy.get('script-src')).toMatch(/^'self'( 'sha256-[^']+')*$/);
    expect(policy.get('connect-src')).toBe(`'self' ${stack.siteUrl}`);
  });

  it('compresses the site (zstd or gzip)', async () => {
    const answer = await get(stack.siteHost, '/', { 'accept-encoding': 'zstd, gzip' });
    expect(answer.status).toBe(200);
    expect(['zstd', 'gzip']).toContain(answer.headers['content-encoding']);
  });

  it('leaks no server name or version, ours or a backend’s', async () => {
    const paths = [
      '/',
      '/_matrix/client/versions',
      '/api/conversations/current',
      '/nope',
      '/_synapse/admin/v1/server_version',
      '/assets/nope.js',
    ];
    for (const host of HOSTS) {
      for (const path of paths) {
        const answer = await get(host, path);
        for (const header of ['server', 'x-powered-by', 'via', 'x-sveltekit-version'])
          expect(answer.headers[header], `${host}${path} ${header}`).toBeUndefined();
        expect(answer.body, `${host}${path}`).not.toMatch(/Synapse\/\d|\bCaddy\b|\bExpress\b|server_version/);
      }
    }
  });
});

describe('what is never reachable from outside', () => {
  const FENCED = [
    '/_synapse/admin/v1/server_version',
    '/_synapse/admin/v2/users/@espace-bot:SERVER',
    '/_SYNAPSE/admin/v1/rooms',
    '/_synapse/metrics',
    '/_matrix/federation/v1/version',
    '/_matrix/key/v2/server',
    '/metrics',
    '/api/../metrics',
    '/api/%2e%2e/metrics',
    '/healthz',
  ];

  it.each(FENCED)('%s is answered by neither Synapse nor the bot, on both hosts', async (template) => {
    const path = template.replace('SERVER', stack.serverName);
    for (const host of HOSTS) {
      const answer = await get(host, path);
      // Refused (404), or, on the agents' host, the client's own page (a single-page app answers every path).
      const appPage = host === stack.agentsHost && answer.status === 200 && answer.body.includes('<div id="app">');
      expect(appPage || answer.status === 404, `${host}${path}: ${answer.status}`).toBe(true);
      // Synapse's answers are JSON with an errcode; the bot's metrics are Prometheus text.
      expect(answer.body, `${host}${path}`).not.toMatch(/errcode|server_version|# HELP|# TYPE|process_cpu|"ok":true/);
    }
  });

  it('the bot runs from its image’s entry point without the registration secret in its environment', () => {
    // The stack's bot: the process running bot/src/main.ts with this stack's state folder.
    const environments = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .flatMap((pid) => {
        try {
          const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
          if (!command.some((part) => part.endsWith('bot/src/main.ts'))) return [];
          const environment = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
          return environment.includes(`ESPACE_STATE_DIR=${stack.botState}`) ? [environment] : [];
        } catch {
          return [];
        }
      });
    expect(environments.length, 'the stack’s bot process').toBeGreaterThan(0);
    for (const environment of environments) {
      expect(
        environment
          .filter((line) => /SECRET|PASSWORD|TOKEN/.test(line.split('=')[0]!))
          .map((line) => line.split('=')[0]),
      ).toEqual([]);
    }
  });

  it('the internal services listen on loopback only', async () => {
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;
    expect(outside, 'this machine has a non-loopback address to try from').toBeDefined();
    const attempt = (host: string, port: number) =>
      new Promise<string>((done) => {
        const socket = connect({ host, port });
        socket.setTimeout(3000, () => (socket.destroy(), done('timeout')));
        socket.once('connect', () => (socket.destroy(), done('connected')));
        socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'));
      });
    for (const [name, address] of Object.entries(stack.internal)) {
      const port = Number(new URL(address.includes('://') ? address : `tcp://${address}`).port);
      expect(await attempt('127.0.0.1', port), `${name} on loopback`).toBe('connected');
      expect(await attempt(outside!, port), `${name} on the machine's network address`).toBe('ECONNREFUSED');
    }
    expect(await attempt(outside!, stack.httpsPort), 'the proxy itself is bound to loopback here').toBe('ECONNREFUSED');
  });
});
