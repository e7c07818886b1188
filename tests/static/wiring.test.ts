/**
 * docker-compose.yml against the code it runs, so that a renamed route, variable or file fails here instead of
 * in production (each of these defects once made the whole deployment unable to start):
 * - every healthcheck URL is a route the service serves, on the port it listens on;
 * - every environment variable compose passes is one the service reads;
 * - every command and entry point named exists in the image.
 * What the images install is checked by images.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BOOTSTRAP_ENV } from '../../bot/src/bootstrap/main.ts';
import { REQUIRED_ENV } from '../../synapse/config/compose/render.ts';
import {
  caddyfileForCompose,
  caddyVariables,
  COMPOSE,
  parseCaddyfile,
  read,
  readDockerfile,
  ROOT,
  services,
  type Service,
} from './files.ts';

const service = (name: string): Service => {
  const found = COMPOSE.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};

/** The URL a healthcheck command calls (curl, wget or node's fetch). */
function healthUrl(name: string): URL {
  const command = (service(name).healthcheck?.test ?? []).join(' ');
  const url = /https?:\/\/[^'"\s)]+/.exec(command)?.[0];
  if (!url) throw new Error(`${name}: no URL in its healthcheck (${command})`);
  return new URL(url);
}

/** Paths the bot's express app serves with GET (bot/src/http). */
function botGetRoutes(): Set<string> {
  const dir = join(ROOT, 'bot/src/http');
  const routes = new Set<string>();
  for (const file of readdirSync(dir).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))) {
    for (const [, path] of readFileSync(join(dir, file), 'utf8').matchAll(/\b(?:app|router)\.get\(\s*'([^']+)'/g))
      routes.add(path!);
  }
  return routes;
}

describe('healthchecks call routes the services serve', () => {
  it('bot: a GET route of its express app, on ESPACE_BOT_PORT', () => {
    const url = healthUrl('bot');
    expect([...botGetRoutes()], 'bot/src/http serves no such route').toContain(url.pathname);
    expect(url.port).toBe(service('bot').environment?.ESPACE_BOT_PORT);
  });

  it('web: a page of the site, on the PORT adapter-node listens on', () => {
    const url = healthUrl('web');
    const route = url.pathname === '/' ? '' : url.pathname;
    expect(existsSync(join(ROOT, 'web/src/routes', route, '+page.svelte')), `web/src/routes${route}/+page.svelte`).toBe(
      true,
    );
    expect(url.port).toBe(service('web').environment?.PORT);
  });

  it('agent-client: its Caddy server (deploy/agent-client/Caddyfile) answers every path with the app', () => {
    const url = healthUrl('agent-client');
    const caddyfile = caddyfileForCompose(read('deploy/agent-client/Caddyfile'));
    const site = parseCaddyfile(caddyfile).blocks.find((block) => !block.head.startsWith('{') && block.head !== '');
    expect(site?.head).toBe(`http://:${url.port}`);
    expect(site?.lines).toContain('try_files {path} /index.html');
    expect(existsSync(join(ROOT, 'agent-client/index.html'))).toBe(true);
    expect(readDockerfile('deploy/agent-client.Dockerfile').copied).toContain('deploy/agent-client/Caddyfile');
  });

  it('proxy: the health site of its own Caddyfile', () => {
    const url = healthUrl('proxy');
    const health = parseCaddyfile(caddyfileForCompose(read('deploy/proxy/Caddyfile'))).blocks.find(
      (block) => block.head === `http://${url.host}`,
    );
    expect(health, `deploy/proxy/Caddyfile has no site http://${url.host}`).toBeDefined();
    expect(health!.lines).toContain(`respond ${url.pathname} "ok" 200`);
  });

  it("synapse: Synapse's /health, on the port render.ts gives its listener", () => {
    const url = healthUrl('synapse');
    expect(url.pathname).toBe('/health');
    expect(read('synapse/config/compose/render.ts')).toMatch(new RegExp(`ESPACE_SYNAPSE_PORT \\?\\? '${url.port}'`));
  });

  it('postgres: pg_isready for the user and database Synapse uses', () => {
    const test = service('postgres').healthcheck!.test.join(' ');
    expect(test).toContain(`--username=${service('postgres').environment!.POSTGRES_USER}`);
    expect(test).toContain(`--dbname=${service('synapse-config').environment!.POSTGRES_DB}`);
  });
});

describe('every variable compose passes is one the service reads', () => {
  /** With deploy/docker-entrypoint.sh as entry point, NAME_FILE is turned into NAME. */
  const check = (name: string, reads: Set<string>, entrypointFiles: boolean) => {
    for (const key of Object.keys(service(name).environment ?? {})) {
      const read = entrypointFiles && key.endsWith('_FILE') ? key.slice(0, -'_FILE'.length) : key;
      expect([...reads], `${name} is given ${key}, which it never reads`).toContain(read);
    }
  };
  const entrypoint = (dockerfile: string) =>
    readDockerfile(dockerfile).entrypoint.join(' ') === '/usr/local/bin/espace-entrypoint';

  it('bot: the names of bot/src/config.ts (and its log level), and never the registration secret', () => {
    const reads = new Set([...read('bot/src/config.ts').matchAll(/\['([A-Z0-9_]+)', \[/g)].map((match) => match[1]!));
    for (const [, name] of read('bot/src/log.ts').matchAll(/process\.env\.([A-Z0-9_]+)/g)) reads.add(name!);
    expect(reads.size).toBeGreaterThan(10);
    check('bot', reads, entrypoint('deploy/bot.Dockerfile'));
    expect(Object.keys(service('bot').environment ?? {}).filter((key) => /SECRET|PASSWORD|TOKEN/.test(key))).toEqual(
      [],
    );
    expect(service('bot').secrets ?? []).toEqual([]);
  });

  it('bootstrap: BOOTSTRAP_ENV of bot/src/bootstrap/main.ts', () => {
    const reads = new Set<string>([...BOOTSTRAP_ENV]);
    for (const [, name] of read('bot/src/log.ts').matchAll(/process\.env\.([A-Z0-9_]+)/g)) reads.add(name!);
    check('bootstrap', reads, entrypoint('deploy/bot.Dockerfile'));
    for (const name of BOOTSTRAP_ENV)
      expect(read('bot/src/bootstrap/main.ts'), name).toMatch(new RegExp(`env\\.${name}\\b`));
  });

  it('web: the variables of web/src/env.ts and those adapter-node reads', () => {
    const reads = new Set([...read('web/src/env.ts').matchAll(/^ {2}([A-Z0-9_]+): \{/gm)].map((match) => match[1]!));
    expect(reads.size).toBeGreaterThan(1);
    const adapter = dirname(
      createRequire(join(ROOT, 'web/package.json')).resolve('@sveltejs/adapter-node/package.json'),
    );
    for (const file of ['src/index.js', 'src/handler.js', 'src/env.js']) {
      const path = join(adapter, file);
      if (existsSync(path))
        for (const [, name] of readFileSync(path, 'utf8').matchAll(/env\('([A-Z0-9_]+)'/g)) reads.add(name!);
    }
    expect(reads).toContain('PORT');
    check('web', reads, entrypoint('deploy/web.Dockerfile'));
  });

  it('synapse-config: the names synapse/config/compose/render.ts reads', () => {
    const source = read('synapse/config/compose/render.ts');
    const reads = new Set<string>(REQUIRED_ENV);
    for (const [, name] of source.matchAll(/\benv\.([A-Z0-9_]+)/g)) reads.add(name!);
    check('synapse-config', reads, false);
  });

  it('proxy: the variables of its Caddyfile that have no default', () => {
    const variables = caddyVariables(read('deploy/proxy/Caddyfile'));
    check('proxy', new Set([...variables].filter(([, hasDefault]) => !hasDefault).map(([name]) => name)), false);
  });
});

describe('every command and entry point exists', () => {
  const built = services.filter(([, svc]) => svc.build);

  it.each(built.map(([name]) => name))('%s', (name) => {
    const svc = service(name);
    const dockerfile = readDockerfile(svc.build!.dockerfile);
    for (const source of dockerfile.copied)
      expect(existsSync(join(ROOT, source)), `${svc.build!.dockerfile} copies ${source}`).toBe(true);
    if (dockerfile.entrypoint.length > 0) {
      expect(read(svc.build!.dockerfile), `${dockerfile.entrypoint[0]} is copied into the image`).toMatch(
        new RegExp(`COPY .*\\s${dockerfile.entrypoint[0]!.replace(/\//g, '\\/')}\\n`),
      );
    }
    const command = svc.command ?? dockerfile.cmd;
    expect(command.length, `${name} runs something`).toBeGreaterThan(0);
    if (command[0] === 'node') {
      const target = join(dockerfile.workdir.replace(/^\/app\/?/, ''), command[1]!);
      if (command[1] === 'build') {
        // adapter-node's output folder, built in the image from web/.
        expect(target).toBe('web/build');
        expect(read('web/vite.config.ts')).toMatch(/from '@sveltejs\/adapter-node'/);
      } else {
        expect(existsSync(join(ROOT, target)), `${name} runs ${target}`).toBe(true);
        const copiedTop = dockerfile.copied.map((source) => source.replace(/\/$/, ''));
        expect(
          copiedTop.some((source) => target === source || target.startsWith(`${source}/`)),
          `${target} is copied into the image`,
        ).toBe(true);
      }
    } else if (command[0] === 'caddy') {
      expect(command).toContain('/etc/caddy/Caddyfile');
    }
  });

  it('starts the bot only after the bootstrap has succeeded, and the bootstrap only after Synapse is healthy', () => {
    expect(service('bot').depends_on?.bootstrap?.condition).toBe('service_completed_successfully');
    expect(service('bootstrap').depends_on?.synapse?.condition).toBe('service_healthy');
    expect(service('bootstrap').command).toEqual(['node', 'bot/src/bootstrap/main.ts']);
    expect(service('bootstrap').build).toEqual(service('bot').build);
    // The bot's state volume, shared; the bot alone also has its deletion journal.
    expect(service('bootstrap').volumes).toEqual(['bot-data:/var/lib/espace-bot']);
    expect(service('bot').volumes).toEqual(expect.arrayContaining(service('bootstrap').volumes ?? []));
    expect(service('bootstrap').command).not.toContain('--demo');
  });

  it('runs every service under an init, within a memory limit', () => {
    for (const [name, svc] of services) {
      expect(svc.init, `${name} init`).toBe(true);
      expect(svc.mem_limit, `${name} mem_limit`).toMatch(/^\d+[mg]$/);
    }
  });

  it('keeps the young people’s site up when the agent client is down', () => {
    const proxy = service('proxy');
    expect(Object.keys(proxy.depends_on ?? {})).not.toContain('agent-client');
    for (const [name, svc] of services) {
      if (name === 'agent-client') continue;
      expect(svc.depends_on?.['agent-client'], `${name} waits for the agent client`).toBeUndefined();
    }
  });
});
