import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HomeserverError } from './errors.ts';
import { logger } from './log.ts';

const log = logger.child({ module: 'tree' });
const BUILD_SCRIPT = fileURLToPath(new URL('../scripts/build-tree.sh', import.meta.url));

/** A Synapse installed from Debian sid into a folder, runnable without chroot (see docs/environment.md, "Synapse"). */
export interface SynapseTree {
  root: string;
  version: string;
  /** argv prefix that runs the tree's Python with the tree's own loader and libraries. */
  python: string[];
  env: Record<string, string>;
}

/** Where the tree is cached: outside any clone, so CI runs and fresh clones reuse it. */
export function defaultTreeDir(): string {
  if (process.env.ESPACE_SYNAPSE_TREE) return process.env.ESPACE_SYNAPSE_TREE;
  const base =
    process.getuid?.() === 0
      ? '/var/cache/espace-mineurs'
      : join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'espace-mineurs');
  return join(base, 'synapse-tree');
}

export function readTree(root: string): SynapseTree | undefined {
  const stamp = join(root, '.espace-synapse-version');
  if (!existsSync(stamp)) return undefined;
  const version = readFileSync(stamp, 'utf8').trim();
  const bin = join(root, 'usr', 'bin');
  // The Python minor version is whatever sid ships: find it rather than assume it.
  const pythons = readdirSync(bin)
    .filter((name) => /^python3\.\d+$/.test(name))
    .sort();
  const python = pythons.at(-1);
  const loader = join(root, 'usr', 'lib', 'x86_64-linux-gnu', 'ld-linux-x86-64.so.2');
  if (!python || !existsSync(loader)) {
    throw new HomeserverError(
      'TREE_INVALID',
      `${root} has a version stamp but no python3.N or loader; delete it to rebuild`,
    );
  }
  const libraryPath = [join(root, 'usr', 'lib', 'x86_64-linux-gnu'), join(root, 'lib', 'x86_64-linux-gnu')].join(':');
  return {
    root,
    version,
    python: [loader, '--library-path', libraryPath, join(bin, python)],
    env: {
      PYTHONHOME: join(root, 'usr'),
      PYTHONPATH: join(root, 'usr', 'lib', 'python3', 'dist-packages'),
      PYTHONDONTWRITEBYTECODE: '1',
    },
  };
}

/**
 * Returns the cached tree, building it first when missing (about 90 s, needs root). Progress lines go to
 * `onProgress` (stderr by default) so a person starting the project sees what is happening.
 */
export async function ensureSynapseTree(
  root = defaultTreeDir(),
  onProgress: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Promise<SynapseTree> {
  const existing = readTree(root);
  if (existing) return existing;
  if (process.getuid?.() !== 0) {
    throw new HomeserverError(
      'NOT_ROOT',
      `No Synapse tree at ${root}, and building one needs root (debootstrap). Either run the first command once ` +
        'as root, set ESPACE_SYNAPSE_TREE to a tree built elsewhere, or use an existing Synapse with ESPACE_SYNAPSE_URL ' +
        '(see README).',
    );
  }
  log.info({ root }, 'building the Synapse tree');
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT, root], { stdio: ['ignore', 'ignore', 'pipe'] });
    let tail = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-4000);
      for (const line of chunk.split('\n')) if (line.trim()) onProgress(line);
    });
    child.on('error', (cause) =>
      reject(new HomeserverError('TREE_BUILD_FAILED', 'could not run build-tree.sh', { cause })),
    );
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(
            new HomeserverError(
              'TREE_BUILD_FAILED',
              `building the Synapse tree failed (exit ${code}):\n${tail.trim()}`,
            ),
          ),
    );
  });
  const built = readTree(root);
  if (!built) throw new HomeserverError('TREE_INVALID', `build-tree.sh finished but ${root} has no version stamp`);
  return built;
}
