import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderHomeserverConfig, type ConfigLayer, type DatabaseSettings, type FederationSettings } from './config.ts';
import { HomeserverError } from './errors.ts';
import { logger } from './log.ts';
import { waitForHealth } from './net.ts';
import { loadOrCreateSecrets } from './secrets.ts';
import type { SynapseTree } from './tree.ts';
import type { Homeserver } from './types.ts';

const log = logger.child({ module: 'native' });
const TETHER = fileURLToPath(new URL('../scripts/tethered.sh', import.meta.url));

export interface NativeOptions {
  tree: SynapseTree;
  dataDir: string;
  port: number;
  serverName: string;
  layers: ConfigLayer[];
  database?: DatabaseSettings;
  retention: { min: string; max: string };
  healthTimeoutMs?: number;
  /** Synapse's Prometheus listener on 127.0.0.1 at this port; absent: metrics off. */
  metricsPort?: number;
  /** Loopback address the client API binds to (127.0.0.1 by default; the federated topology gives each server its own). */
  host?: string;
  /** The federated topology only: the TLS federation listener and the closed federation. */
  federation?: FederationSettings;
}

/** Ends a Synapse left running by an earlier run that was killed before it could clean up. */
function stopStale(pidFile: string, configPath: string): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return; // not running
  }
  if (cmdline.includes('synapse.app.homeserver') && cmdline.includes(configPath)) {
    log.warn({ pid }, 'stopping a Synapse left over from an earlier run');
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export interface RunNativeOptions {
  tree: SynapseTree;
  /** A rendered homeserver.yaml (by startNativeSynapse, or by synapse/config/compose/render.ts). */
  configPath: string;
  /** Where stdout.log and synapse.pid go. */
  dataDir: string;
  healthUrl: string;
  signingKey: string;
  logFile: string;
  healthTimeoutMs?: number;
}

/**
 * Runs the tree's Synapse on a configuration already written, as the compose service does: `--generate-keys`
 * first (it creates the signing key once), then Synapse in the foreground, tethered to this process.
 */
export async function runNativeSynapse(
  options: RunNativeOptions,
): Promise<{ stop: () => Promise<void>; processFile: string }> {
  const { tree, configPath, dataDir } = options;
  const processFile = join(dataDir, 'synapse.pid');
  stopStale(processFile, configPath);
  const env = { ...process.env, ...tree.env };
  if (!existsSync(options.signingKey)) {
    const generated = spawnSync(
      tree.python[0]!,
      [...tree.python.slice(1), '-m', 'synapse.app.homeserver', '-c', configPath, '--generate-keys'],
      {
        env,
        encoding: 'utf8',
      },
    );
    if (generated.status !== 0) {
      throw new HomeserverError(
        'START_FAILED',
        `synapse --generate-keys failed: ${(generated.stderr || generated.stdout).slice(-2000)}`,
      );
    }
  }

  const outFile = join(dataDir, 'stdout.log');
  const out = openSync(outFile, 'a');
  const started = Date.now();
  // detached: a Ctrl-C in the terminal reaches our process, which stops Synapse in order, not Synapse directly.
  const child: ChildProcess = spawn(
    'bash',
    [TETHER, String(process.pid), ...tree.python, '-m', 'synapse.app.homeserver', '-c', configPath],
    { env: { ...env, TETHER_PID_FILE: processFile }, stdio: ['ignore', out, out], detached: true },
  );
  closeSync(out);
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `Synapse exited (${signal ?? `code ${code}`}) before it was healthy; see ${options.logFile} and ${outFile}`;
  });

  try {
    await waitForHealth(options.healthUrl, options.healthTimeoutMs ?? 90_000, () => exited);
  } catch (cause) {
    child.kill('SIGTERM');
    const tail = existsSync(outFile) ? readFileSync(outFile, 'utf8').slice(-1500) : '';
    throw new HomeserverError('START_FAILED', `${(cause as Error).message}\n${tail}`, { cause });
  }
  log.debug({ ms: Date.now() - started }, 'Synapse answered its health check');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
    return stopping;
  };
  return { stop, processFile };
}

export async function startNativeSynapse(options: NativeOptions): Promise<Homeserver> {
  const { tree, dataDir, port, serverName } = options;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const paths = {
    pidFile: join(dataDir, 'homeserver.pid'),
    logConfig: join(dataDir, 'log.yaml'),
    logFile: join(dataDir, 'homeserver.log'),
    mediaStore: join(dataDir, 'media'),
    signingKey: join(dataDir, 'signing.key'),
  };
  const configPath = join(dataDir, 'homeserver.yaml');
  const processFile = join(dataDir, 'synapse.pid');

  const secrets = loadOrCreateSecrets(join(dataDir, 'secrets.json'));
  const host = options.host ?? '127.0.0.1';
  const baseUrl = `http://${host}:${port}`;
  const rendered = renderHomeserverConfig({
    serverName,
    publicBaseUrl: `${baseUrl}/`,
    port,
    bindAddresses: [host],
    xForwarded: false,
    database: options.database ?? { kind: 'sqlite', path: join(dataDir, 'homeserver.db') },
    dataDir,
    paths,
    secrets,
    retention: options.retention,
    logLevel: 'INFO',
    layers: options.layers,
    ...(options.metricsPort ? { metrics: { port: options.metricsPort, bindAddresses: ['127.0.0.1'] } } : {}),
    ...(options.federation ? { federation: options.federation } : {}),
  });
  writeFileSync(configPath, rendered.homeserver, { mode: 0o600 });
  writeFileSync(paths.logConfig, rendered.log, { mode: 0o600 });

  const { stop } = await runNativeSynapse({
    tree,
    configPath,
    dataDir,
    healthUrl: `${baseUrl}/health`,
    signingKey: paths.signingKey,
    logFile: paths.logFile,
    ...(options.healthTimeoutMs ? { healthTimeoutMs: options.healthTimeoutMs } : {}),
  });
  log.info({ port, version: tree.version }, 'Synapse is healthy');

  return {
    source: 'native',
    baseUrl,
    serverName,
    version: tree.version,
    processFile,
    registrationSharedSecret: secrets.registrationSharedSecret,
    logFile: paths.logFile,
    dataDir,
    ...(options.metricsPort ? { metricsUrl: `http://127.0.0.1:${options.metricsPort}/_synapse/metrics` } : {}),
    stop,
  };
}
