/**
 * docker-compose.yml against the code it runs, so that a renamed route, variable or file fails here instead of
 * in production (each of these defects once made the whole deployment unable to start):
 * - every healthcheck URL is a route the service serves, on the port it listens on;
 * - every environment variable compose passes is one the service reads;
 * - every command and entry point named exists in the image;
 * - no test-only package (testcontainers, vitest, Playwright…) is installed into an image's runtime.
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

interface Dockerfile {
  workdir: string;
  entrypoint: string[];
  cmd: string[];
  /** Sources of COPY instructions taken from the build context (not from another stage). */
  copied: string[];
  /** `npm ci …` commands of the stage the final image copies /app from (or of the final stage). */
  installs: string[];
}

/** The final stage of a Dockerfile, with the install command of the stage it takes /app from. */
function readDockerfile(path: string): Dockerfile {
  const text = read(path).replace(/\\\n/g, ' ');
  const stages: Array<{ name?: string; lines: string[] }> = [];
  for (const line of text.split('\n').map((raw) => raw.trim())) {
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ ...(from[1] ? { name: from[1] } : {}), lines: [] });
    else stages.at(-1)!.lines.push(line);
  }
  const final = stages.at(-1)!;
  const json = (instruction: string, lines: string[]): string[] => {
    const line = lines.filter((candidate) => candidate.startsWith(`${instruction} `)).at(-1);
    return line ? (JSON.parse(line.slice(instruction.length + 1)) as string[]) : [];
  };
  const workdir =
    final.lines
      .filter((line) => line.startsWith('WORKDIR '))
      .at(-1)
      ?.slice(8) ?? '/';
  const copied = stages
    .flatMap((stage) => stage.lines)
    .filter((line) => /^COPY\s/.test(line) && !/--from=/.test(line))
    .flatMap((line) => line.replace(/--\S+/g, '').trim().split(/\s+/).slice(1, -1));
  const source = /COPY\s+--from=(\S+)\s+\/app\s+\/app/.exec(final.lines.join('\n'))?.[1];
  const installing = source ? stages.find((stage) => stage.name === source)! : final;
  const installs = installing.lines
    .filter((line) => line.startsWith('RUN '))
    .flatMap((line) => line.split('&&'))
    .map((part) => part.replace(/^RUN\s+/, '').trim())
    .filter((part) => part.startsWith('npm ci'));
  return { workdir, entrypoint: json('ENTRYPOINT', final.lines), cmd: json('CMD', final.lines), copied, installs };
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

// ------------------------------------------------------------------------------- runtime dependencies
interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  link?: boolean;
  resolved?: string;
  dev?: boolean;
}

/** Packages only tests need. None of them may be in an image. */
const TEST_ONLY = [
  'testcontainers',
  'vitest',
  'playwright-core',
  'playwright',
  'dclint',
  'axe-core',
  'pino-pretty',
  'dockerode',
  'docker-compose',
];

/**
 * A known defect, listed so that this test can run today and fails the day it is fixed: @espace-mineurs/synapse
 * lists testcontainers in its `dependencies`, so `npm ci --workspace bot --omit=dev` installs it into the bot
 * and synapse-config images. Moving it to devDependencies (or tests/) must come with deleting this entry.
 */
const KNOWN_UNTIL_MOVED: Record<string, string> = { testcontainers: '@espace-mineurs/synapse' };

/** Every package `npm ci --workspace <workspace> --omit=dev` installs, with the package that asked for it. */
function runtimeClosure(workspace: string): Map<string, string> {
  const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, LockEntry> };
  const found = new Map<string, string>();
  const queue: Array<[string, string, string]> = []; // [name, requested by, lock path of the requester]
  const enqueue = (entry: LockEntry, by: string, at: string) => {
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies }))
      queue.push([name, by, at]);
  };
  const root = lock.packages[workspace];
  if (!root) throw new Error(`package-lock.json has no workspace ${workspace}`);
  enqueue(root, JSON.parse(read(`${workspace}/package.json`)).name as string, workspace);
  while (queue.length > 0) {
    const [name, by, at] = queue.shift()!;
    if (found.has(name)) continue;
    // Node's resolution: the nearest node_modules up from the requester.
    let path: string | undefined;
    for (let dir = at; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
      const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
      if (lock.packages[candidate]) {
        path = candidate;
        break;
      }
      if (!dir) break;
    }
    if (!path) continue; // an optional peer nobody installs
    let entry = lock.packages[path]!;
    if (entry.link && entry.resolved) {
      path = entry.resolved;
      entry = lock.packages[path]!;
    }
    found.set(name, by);
    // What only the known exception brings in goes with it.
    if (KNOWN_UNTIL_MOVED[name] !== by) enqueue(entry, name, path);
  }
  return found;
}

describe('images hold no test-only package', () => {
  const images = services
    .filter(([, svc]) => svc.build)
    .map(([name, svc]) => [name, svc.build!.dockerfile] as const)
    .filter(([name], index, all) => all.findIndex(([other]) => other === name) === index);

  it.each(images)('%s (%s)', (_name, dockerfile) => {
    const { installs } = readDockerfile(dockerfile);
    for (const install of installs) {
      expect(install, `${dockerfile}: the runtime install must omit devDependencies`).toMatch(/--omit=dev\b/);
      const workspace = /--workspace[= ](\S+)/.exec(install)?.[1];
      expect(workspace, `${dockerfile}: installs one workspace`).toBeDefined();
      const closure = runtimeClosure(workspace!);
      expect(closure.size).toBeGreaterThan(0);
      for (const name of TEST_ONLY) {
        const by = closure.get(name);
        if (by && KNOWN_UNTIL_MOVED[name] === by) continue;
        expect(by, `${dockerfile}: ${name} is installed (asked for by ${by})`).toBeUndefined();
      }
    }
  });

  it('still needs each listed exception (delete the entry once the package has moved)', () => {
    for (const [name, by] of Object.entries(KNOWN_UNTIL_MOVED)) {
      const stillThere = images.some(([, dockerfile]) =>
        readDockerfile(dockerfile).installs.some(
          (install) => runtimeClosure(/--workspace[= ](\S+)/.exec(install)![1]!).get(name) === by,
        ),
      );
      expect(stillThere, `${name} is no longer a runtime dependency of ${by}: delete it from KNOWN_UNTIL_MOVED`).toBe(
        true,
      );
    }
  });
});
