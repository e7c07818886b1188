/**
 * Backup and restore of the production-shaped stack's data folder (scripts/production.ts), for
 * `npm run backup:production -- FILE` and `npm run restore:production -- FILE`:
 *
 *   backup FILE    one tar archive (mode 0600) holding everything needed to serve again as the same server:
 *                  synapse.dump   PostgreSQL, `pg_dump -Fc` (online: a consistent snapshot while the stack runs)
 *                  synapse/       Synapse's data: signing key, macaroon and form secrets, media, configuration
 *                  bot/           the bot's state: its credentials, the audit mirror and outbox, demo credentials
 *                  secrets/       the PostgreSQL password and the registration shared secret
 *   restore FILE   into an empty data folder (ESPACE_DATA_DIR): unpacks, creates a new cluster (UTF8, C) and
 *                  loads the dump with pg_restore. `npm run start:production` then starts on it, and the
 *                  bootstrap finds everything again (it creates nothing).
 *
 * The files are copied before the database is dumped: what the bot wrote to its audit mirror is then already in
 * the audit rooms of the dump (the mirror may lack the last entries, which `audit mirror` completes; it never holds
 * an entry the rooms lack, which `audit verify` would rightly call broken).
 *
 * Never in the archive: the deletion journal (ESPACE_DELETION_JOURNAL, bot/src/retention/journal.ts). It is kept
 * apart so that it outlives every backup: after a restore the bot deletes again, at start, every room deleted
 * since the backup was taken.
 *
 * The archive holds secrets and personal data: keep it encrypted, off the host (deploy/README.md, "Backups").
 * Compose does the same with `docker compose exec postgres pg_dump -Fc` and the volumes (deploy/README.md).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPostgresBin, freePort, startPostgres } from '@espace-mineurs/synapse';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const FOLDERS = ['secrets', 'synapse', 'bot'];
/** Files of a running Synapse that must not come back with a restore. */
const EXCLUDED = ['synapse/synapse.pid', 'synapse/homeserver.pid'];

function run(command: string, args: string[], env: Record<string, string> = {}): void {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ...env },
  });
  if (result.status !== 0)
    throw new Error(
      `${command} failed (exit ${result.status ?? result.signal}): ${(result.stderr || result.stdout || result.error?.message || '').slice(-1500)}`,
    );
}

interface Running {
  internal?: { postgres?: string };
}

export async function backup(dataDir: string, file: string): Promise<void> {
  for (const folder of [...FOLDERS, 'postgres/cluster']) {
    if (!existsSync(join(dataDir, folder)))
      throw new Error(
        `${join(dataDir, folder)} is missing: is ${dataDir} the data folder of npm run start:production?`,
      );
  }
  const password = readFileSync(join(dataDir, 'secrets', 'postgres_password'), 'utf8').trim();
  const staging = mkdtempSync(join(tmpdir(), 'espace-backup-'));
  try {
    run('cp', ['-a', ...FOLDERS.map((folder) => join(dataDir, folder)), staging]);
    for (const path of EXCLUDED) rmSync(join(staging, path), { force: true });
    // The running stack's PostgreSQL when there is one (stack.json, written by production.ts), else a short-lived one.
    const running = existsSync(join(dataDir, 'stack.json'))
      ? (JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8')) as Running)
      : {};
    let address = running.internal?.postgres;
    let stop = async () => {};
    if (!address || !(await answers(address))) {
      const postgres = await startPostgres({
        dataDir: join(dataDir, 'postgres'),
        port: await freePort(),
        database: 'synapse',
        user: 'synapse',
        password,
      });
      address = `${postgres.host}:${postgres.port}`;
      stop = () => postgres.stop();
    }
    try {
      const [host, port] = address.split(':') as [string, string];
      // The password goes through the environment, never the command line (which any user can read in /proc).
      run(
        join(findPostgresBin(), 'pg_dump'),
        [
          '--format=custom',
          `--host=${host}`,
          `--port=${port}`,
          '--username=synapse',
          '--dbname=synapse',
          `--file=${join(staging, 'synapse.dump')}`,
        ],
        { PGPASSWORD: password },
      );
    } finally {
      await stop();
    }
    run('tar', ['--create', `--file=${file}`, `--directory=${staging}`, ...FOLDERS, 'synapse.dump']);
    chmodSync(file, 0o600);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function answers(address: string): Promise<boolean> {
  const [host, port] = address.split(':') as [string, string];
  return spawnSync(join(findPostgresBin(), 'pg_isready'), ['-q', `--host=${host}`, `--port=${port}`]).status === 0;
}

export async function restore(dataDir: string, file: string): Promise<void> {
  for (const folder of [...FOLDERS, 'postgres']) {
    if (existsSync(join(dataDir, folder)))
      throw new Error(`${join(dataDir, folder)} exists: restore into an empty data folder (ESPACE_DATA_DIR)`);
  }
  mkdirSync(dataDir, { recursive: true });
  // PostgreSQL's own user must be able to traverse (not list) the folder (production.ts does the same).
  chmodSync(dataDir, 0o711);
  run('tar', ['--extract', `--file=${file}`, `--directory=${dataDir}`, '--same-permissions']);
  const dump = join(dataDir, 'synapse.dump');
  try {
    const password = readFileSync(join(dataDir, 'secrets', 'postgres_password'), 'utf8').trim();
    const postgres = await startPostgres({
      dataDir: join(dataDir, 'postgres'),
      port: await freePort(),
      database: 'synapse',
      user: 'synapse',
      password,
    });
    try {
      run(
        join(postgres.binDir, 'pg_restore'),
        [
          '--exit-on-error',
          '--no-owner',
          `--host=${postgres.host}`,
          `--port=${postgres.port}`,
          '--username=synapse',
          '--dbname=synapse',
          dump,
        ],
        { PGPASSWORD: password },
      );
    } finally {
      await postgres.stop();
    }
  } finally {
    rmSync(dump, { force: true });
  }
}

if (import.meta.main) {
  const [action, file] = process.argv.slice(2);
  const dataDir = resolve(process.env.ESPACE_DATA_DIR ?? join(root, '.data', 'production'));
  if ((action !== 'backup' && action !== 'restore') || !file) {
    process.stderr.write(
      'usage: node scripts/backup.ts backup|restore FILE   (data folder: ESPACE_DATA_DIR, default .data/production)\n',
    );
    process.exit(2);
  }
  try {
    await (action === 'backup' ? backup(dataDir, resolve(file)) : restore(dataDir, resolve(file)));
    process.stdout.write(
      `${action === 'backup' ? 'Sauvegarde écrite' : 'Restauration faite'} : ${resolve(file)} ${action === 'backup' ? '←' : '→'} ${dataDir}\n`,
    );
  } catch (error) {
    process.stderr.write(`${action} failed: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
