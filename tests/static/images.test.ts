/**
 * What the images of docker-compose.yml install: no test-only package (testcontainers, vitest, Playwright…) in an
 * image's runtime, read from the lock file as `npm ci --workspace <workspace> --omit=dev` would install it.
 */
import { describe, expect, it } from 'vitest';
import { read, readDockerfile, services } from './files.ts';

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
