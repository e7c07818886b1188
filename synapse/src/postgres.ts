/**
 * A PostgreSQL cluster of this machine's own PostgreSQL (Debian's `postgresql` package), created under a data
 * folder and run in the foreground, for the native production-shaped stack (scripts/production.ts). Compose runs
 * the official image instead; both create the database the way Synapse requires: UTF8, C collation and ctype.
 *
 * PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user Debian's package
 * creates and every PostgreSQL program runs as that user (setpriv, which execs, so signals reach the server).
 * It listens on a loopback TCP port only (Synapse connects there with a password) and on a Unix socket inside
 * the cluster's folder (used here, as the superuser, to create Synapse's role and database).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HomeserverError } from './errors.ts';

const TETHER = fileURLToPath(new URL('../scripts/tethered.sh', import.meta.url));

export interface PostgresOptions {
  /** Holds the cluster (`cluster/`), its socket (`run/`) and its output (`postgres.log`). */
  dataDir: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** /usr/lib/postgresql/<version>/bin by default (the highest version installed). */
  binDir?: string;
  startTimeoutMs?: number;
}

export interface PostgresServer {
  host: string;
  port: number;
  version: string;
  /** The folder of the cluster itself (PGDATA). */
  clusterDir: string;
  binDir: string;
  /** Runs a PostgreSQL client program (pg_dump, psql…) as the cluster's owner, against this server. */
  client(program: string, args: string[], input?: string): { status: number | null; stdout: string; stderr: string };
  stop(): Promise<void>;
}

/** The highest PostgreSQL major version Debian's packages installed. */
export function findPostgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root).filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'postgres')))
    : [];
  const highest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!highest) {
    throw new HomeserverError(
      'START_FAILED',
      'PostgreSQL is not installed: apt-get install postgresql (Debian bookworm gives PostgreSQL 15)',
    );
  }
  return join(root, highest, 'bin');
}

interface Owner {
  uid: number;
  gid: number;
  name: string;
  /** Prefix that runs a program as the owner (empty when we already are the owner). */
  asOwner: string[];
}

function owner(): Owner {
  const me = userInfo();
  if (me.uid !== 0) return { uid: me.uid, gid: me.gid, name: me.username, asOwner: [] };
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  if (!Number.isInteger(uid) || uid <= 0) {
    throw new HomeserverError(
      'START_FAILED',
      'PostgreSQL refuses to run as root, and there is no `postgres` user (apt-get install postgresql creates it)',
    );
  }
  return {
    uid,
    gid: id('-g'),
    name: 'postgres',
    asOwner: ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--'],
  };
}

/** A SQL string literal. */
const literal = (value: string): string => `'${value.replace(/'/g, "''")}'`;
const identifier = (value: string): string => `"${value.replace(/"/g, '""')}"`;

export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const binDir = options.binDir ?? findPostgresBin();
  const who = owner();
  const clusterDir = join(options.dataDir, 'cluster');
  const socketDir = join(options.dataDir, 'run');
  for (const dir of [options.dataDir, socketDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chownSync(dir, who.uid, who.gid);
    chmodSync(dir, 0o700);
  }
  const run = (program: string, args: string[], input?: string) => {
    const [command, ...rest] = [...who.asOwner, join(binDir, program), ...args];
    const result = spawnSync(command!, rest, {
      encoding: 'utf8',
      input: input ?? '',
      cwd: options.dataDir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
    });
    return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? result.error?.message ?? '' };
  };

  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    const init = run('initdb', [
      `--pgdata=${clusterDir}`,
      `--username=${who.name}`,
      // Synapse refuses a database whose collation or ctype is not C, or whose encoding is not UTF8.
      '--encoding=UTF8',
      '--lc-collate=C',
      '--lc-ctype=C',
      '--auth-local=peer',
      '--auth-host=scram-sha-256',
    ]);
    if (init.status !== 0)
      throw new HomeserverError('START_FAILED', `initdb failed: ${(init.stderr || init.stdout).slice(-1500)}`);
  }
  const version = readFileSync(join(clusterDir, 'PG_VERSION'), 'utf8').trim();

  const logFile = join(options.dataDir, 'postgres.log');
  const out = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    'bash',
    [
      TETHER,
      String(process.pid),
      ...who.asOwner,
      join(binDir, 'postgres'),
      '-D',
      clusterDir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `port=${options.port}`,
      '-c',
      `unix_socket_directories=${socketDir}`,
      '-c',
      'logging_collector=off',
    ],
    {
      stdio: ['ignore', out, out],
      detached: true,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
    },
  );
  closeSync(out);
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `PostgreSQL exited (${signal ?? `code ${code}`}); see ${logFile}`;
  });

  const psql = (sql: string) =>
    run(
      'psql',
      [
        '-X',
        '-q',
        '-v',
        'ON_ERROR_STOP=1',
        '-h',
        socketDir,
        '-p',
        String(options.port),
        '-U',
        who.name,
        '-d',
        'postgres',
        '-f',
        '-',
      ],
      sql,
    );
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    if (exited) throw new HomeserverError('START_FAILED', `${exited}\n${readFileSync(logFile, 'utf8').slice(-1500)}`);
    if (run('pg_isready', ['-q', '-h', socketDir, '-p', String(options.port)]).status === 0) break;
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new HomeserverError(
        'START_FAILED',
        `PostgreSQL did not accept connections within the time allowed; see ${logFile}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  // Idempotent: the role's password follows the secret file, the database is created once, with C collation.
  const role = identifier(options.user);
  const setup = psql(
    [
      `DO $$ BEGIN`,
      `  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(options.user)}) THEN CREATE ROLE ${role} LOGIN;`,
      `  END IF;`,
      `END $$;`,
      `ALTER ROLE ${role} LOGIN PASSWORD ${literal(options.password)};`,
      `SELECT 'CREATE DATABASE ${identifier(options.database).replace(/'/g, "''")} OWNER ${role.replace(/'/g, "''")} ENCODING ''UTF8'' LC_COLLATE ''C'' LC_CTYPE ''C'' TEMPLATE template0'`,
      `  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = ${literal(options.database)})\\gexec`,
      '',
    ].join('\n'),
  );
  if (setup.status !== 0) {
    child.kill('SIGTERM');
    // psql's error names the statement, never the password (it is sent on stdin, not echoed).
    throw new HomeserverError(
      'START_FAILED',
      `creating Synapse's role and database failed: ${setup.stderr.replace(options.password, '[redacted]').slice(-1500)}`,
    );
  }

  let stopping: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port: options.port,
    version,
    clusterDir,
    binDir,
    client: (program, args, input) =>
      run(program, ['-h', socketDir, '-p', String(options.port), '-U', who.name, ...args], input),
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      })),
  };
}
