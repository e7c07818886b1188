/**
 * The production-shaped stack on this machine, for `npm run start:production` (= `npm start -- --production`):
 * what docker-compose.yml runs, natively, from the same files and the same commands.
 *
 *   compose service   here
 *   postgres          Debian's PostgreSQL, a cluster under the data folder (synapse/src/postgres.ts), UTF8, C
 *   synapse-config    node synapse/config/compose/render.ts (same renderer, no test layer)
 *   synapse           the Synapse tree, --generate-keys then the homeserver, on that rendered configuration
 *   bootstrap         deploy/docker-entrypoint.sh node bot/src/bootstrap/main.ts [--demo]   (one-shot)
 *   bot               deploy/docker-entrypoint.sh node bot/src/main.ts    (no registration secret)
 *   web               deploy/docker-entrypoint.sh node build   (in web/, built with adapter-node)
 *   agent-client      caddy run --config deploy/agent-client/Caddyfile   (agent-client/dist)
 *   proxy             caddy run --config deploy/proxy/Caddyfile   (TLS from Caddy's internal CA)
 *   prometheus        Debian's prometheus, deploy/prometheus with loopback targets (scripts/monitoring.ts)
 *   alertmanager      Debian's prometheus-alertmanager, ESPACE_ALERTMANAGER_CONFIG or alertmanager.example.yml
 *
 * What differs from compose is given as variables (paths, hostnames, loopback addresses and ports), never as a
 * second configuration. Every process is tethered to this one (synapse/scripts/tethered.sh): Ctrl-C or SIGTERM
 * stops them in reverse order, and none survives this process even when it is killed.
 *
 * Options: --demo (create the demonstration staff), --build (rebuild the site and the agent client).
 * Environment: ESPACE_DATA_DIR (default .data/production), ESPACE_SITE_HOST (site.test), ESPACE_AGENTS_HOST
 * (agents.test), ESPACE_SERVER_NAME (the site's host name), ESPACE_HTTPS_PORT (8443), ESPACE_HTTP_PORT (8480),
 * and the internal ports ESPACE_POSTGRES_PORT, ESPACE_SYNAPSE_PORT, ESPACE_SYNAPSE_METRICS_PORT, ESPACE_BOT_PORT,
 * ESPACE_WEB_PORT, ESPACE_AGENT_CLIENT_PORT, ESPACE_PROXY_HEALTH_PORT, ESPACE_PROMETHEUS_PORT,
 * ESPACE_ALERTMANAGER_PORT; 0 picks a free port (tests). ESPACE_DELETION_JOURNAL: the bot's deletion journal
 * (default DATA/deletion-journal/deletions.jsonl; outside the backup set either way, elsewhere in production).
 * ESPACE_ALERTMANAGER_CONFIG: the receivers (default deploy/alertmanager/alertmanager.example.yml).
 * The last line on stdout is one JSON object, {"ready":true,…}, for programs that start this one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ensureSynapseTree,
  defaultTreeDir,
  freePort,
  runNativeSynapse,
  startPostgres,
  waitForHealth,
} from '@espace-mineurs/synapse';
import { isShuttingDown, running, say, shutdown } from './services.ts';
import { alertmanagerConfig, writePrometheusConfig } from './monitoring.ts';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const TETHER = join(root, 'synapse', 'scripts', 'tethered.sh');
const ENTRYPOINT = join(root, 'deploy', 'docker-entrypoint.sh');
const args = new Set(process.argv.slice(2));
const demo = args.has('--demo');

const stopAll = (code: number) => shutdown(code, 'Tout est arrêté.');
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

async function port(name: string, fallback: number): Promise<number> {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a port number`);
  return value === 0 ? freePort() : value;
}

/** The environment a service gets: what any process needs, plus its own names. Nothing else leaks into it. */
function serviceEnv(own: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {
    // `node` is the project's Node 24 (node_modules/.bin), like the images' node:24 base.
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    LANG: process.env.LANG ?? 'C.UTF-8',
  };
  for (const name of ['HOME', 'NODE_OPTIONS', 'TZ']) if (process.env[name]) base[name] = process.env[name]!;
  return { ...base, ...own };
}

/**
 * Starts one long-running service, tethered to this process, its output in a log file of the data folder.
 * `ready` resolves once it serves; an exit before that (or later, unless we are stopping) stops everything.
 */
async function startService(
  name: string,
  command: string[],
  options: {
    cwd?: string;
    env: Record<string, string>;
    log: string;
    ready: (dead: () => string | undefined) => Promise<void>;
  },
): Promise<void> {
  const out = openSync(options.log, 'a');
  const child: ChildProcess = spawn('bash', [TETHER, String(process.pid), ...command], {
    cwd: options.cwd ?? root,
    env: options.env,
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `${name} exited (${signal ?? `code ${code}`}); see ${options.log}`;
    if (!isShuttingDown() && running.some((service) => service.name === name)) {
      process.stderr.write(`[${name}] stopped unexpectedly; stopping everything. See ${options.log}\n`);
      void stopAll(1);
    }
  });
  const stop = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
  try {
    await options.ready(() => exited);
  } catch (error) {
    await stop();
    const tail = existsSync(options.log) ? readFileSync(options.log, 'utf8').slice(-1500) : '';
    throw new Error(`${name} did not start: ${(error as Error).message}\n${tail}`, { cause: error });
  }
  running.push({ name, stop });
}

/** Runs a one-shot step to completion (the compose services synapse-config and bootstrap). */
function runOnce(name: string, command: string[], env: Record<string, string>, log: string): void {
  const out = openSync(log, 'a');
  const result = spawnSync(command[0]!, command.slice(1), { cwd: root, env, stdio: ['ignore', out, out] });
  closeSync(out);
  if (result.status !== 0) {
    const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-1500) : '';
    throw new Error(`${name} failed (exit ${result.status ?? result.signal}); see ${log}\n${tail}`);
  }
}

/** The newest modification time under a folder (sources of a build). */
function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(
    stat.mtimeMs,
    ...readdirSync(path)
      .filter((name) => name !== 'node_modules')
      .map((name) => newest(join(path, name))),
  );
}

/** Builds a package when asked (--build), when its output is missing, or when a source is newer than it. */
function ensureBuilt(workspace: string, output: string, sources: string[]): void {
  const outputPath = join(root, workspace, output);
  const stale =
    !existsSync(outputPath) ||
    sources.some((source) => newest(join(root, workspace, source)) > statSync(outputPath).mtimeMs);
  if (!args.has('--build') && !stale) return;
  say(`Construction de ${workspace} (npm run build -w ${workspace})…`);
  const result = spawnSync('npm', ['run', 'build', '--workspace', workspace], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
  });
  if (result.status !== 0) throw new Error(`npm run build -w ${workspace} failed`);
}

async function waitForLine(
  file: string,
  pattern: RegExp,
  timeoutMs: number,
  dead: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reason = dead();
    if (reason) throw new Error(reason);
    if (existsSync(file) && pattern.test(readFileSync(file, 'utf8'))) return;
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`nothing matched ${pattern} in ${file} within ${timeoutMs} ms`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const dataDir = resolve(process.env.ESPACE_DATA_DIR ?? join(root, '.data', 'production'));
  mkdirSync(dataDir, { recursive: true });
  // PostgreSQL runs as its own user: it must be able to traverse (not list) the folders above its cluster.
  chmodSync(dataDir, 0o711);
  const logs = join(dataDir, 'logs');
  mkdirSync(logs, { recursive: true, mode: 0o700 });

  const siteName = process.env.ESPACE_SITE_HOST ?? 'site.test';
  const agentsName = process.env.ESPACE_AGENTS_HOST ?? 'agents.test';
  const serverName = process.env.ESPACE_SERVER_NAME ?? siteName;
  const ports = {
    https: await port('ESPACE_HTTPS_PORT', 8443),
    http: await port('ESPACE_HTTP_PORT', 8480),
    postgres: await port('ESPACE_POSTGRES_PORT', 54329),
    synapse: await port('ESPACE_SYNAPSE_PORT', 18008),
    synapseMetrics: await port('ESPACE_SYNAPSE_METRICS_PORT', 19000),
    prometheus: await port('ESPACE_PROMETHEUS_PORT', 19090),
    alertmanager: await port('ESPACE_ALERTMANAGER_PORT', 19093),
    bot: await port('ESPACE_BOT_PORT', 18090),
    web: await port('ESPACE_WEB_PORT', 13000),
    agentClient: await port('ESPACE_AGENT_CLIENT_PORT', 18080),
    proxyHealth: await port('ESPACE_PROXY_HEALTH_PORT', 18081),
  };
  const siteOrigin = `https://${siteName}:${ports.https}`;
  const agentsOrigin = `https://${agentsName}:${ports.https}`;

  // Secrets, as for compose (deploy/make-secrets.sh), in the data folder.
  const secrets = join(dataDir, 'secrets');
  runOnce(
    'make-secrets',
    ['sh', join(root, 'deploy', 'make-secrets.sh'), secrets],
    serviceEnv({}),
    join(logs, 'make-secrets.log'),
  );
  const postgresPassword = readFileSync(join(secrets, 'postgres_password'), 'utf8').trim();

  // Builds before anything runs: they take the most time and need no service.
  ensureBuilt('web', 'build/index.js', ['src', 'static', 'vite.config.ts', 'package.json']);
  ensureBuilt('agent-client', 'dist/index.html', ['src', 'index.html', 'vite.config.ts', 'package.json']);
  const tree = await ensureSynapseTree(defaultTreeDir());

  say('Démarrage de PostgreSQL…');
  const postgres = await startPostgres({
    dataDir: join(dataDir, 'postgres'),
    port: ports.postgres,
    database: 'synapse',
    user: 'synapse',
    password: postgresPassword,
  });
  running.push({ name: 'postgres', stop: () => postgres.stop() });

  // synapse-config: the same renderer, with the variables that differ outside a container.
  const synapseDir = join(dataDir, 'synapse');
  mkdirSync(synapseDir, { recursive: true, mode: 0o700 });
  runOnce(
    'synapse-config',
    [process.execPath, join(root, 'synapse', 'config', 'compose', 'render.ts')],
    serviceEnv({
      ESPACE_SERVER_NAME: serverName,
      ESPACE_PUBLIC_BASEURL: `${siteOrigin}/`,
      POSTGRES_HOST: postgres.host,
      POSTGRES_PORT: String(postgres.port),
      POSTGRES_DB: 'synapse',
      POSTGRES_USER: 'synapse',
      POSTGRES_PASSWORD_FILE: join(secrets, 'postgres_password'),
      ESPACE_REGISTRATION_SECRET_FILE: join(secrets, 'registration_shared_secret'),
      ESPACE_RETENTION_MIN: process.env.ESPACE_RETENTION_MIN ?? '1d',
      ESPACE_RETENTION_MAX: process.env.ESPACE_RETENTION_MAX ?? '365d',
      SYNAPSE_DATA_DIR: synapseDir,
      ESPACE_SYNAPSE_BIND: '127.0.0.1',
      ESPACE_SYNAPSE_PORT: String(ports.synapse),
      ESPACE_SYNAPSE_METRICS_BIND: '127.0.0.1',
      ESPACE_SYNAPSE_METRICS_PORT: String(ports.synapseMetrics),
    }),
    join(logs, 'synapse-config.log'),
  );

  say(`Démarrage de Synapse ${tree.version} sur PostgreSQL ${postgres.version}…`);
  const synapseUrl = `http://127.0.0.1:${ports.synapse}`;
  const synapse = await runNativeSynapse({
    tree,
    configPath: join(synapseDir, 'homeserver.yaml'),
    dataDir: synapseDir,
    healthUrl: `${synapseUrl}/health`,
    signingKey: join(synapseDir, 'signing.key'),
    logFile: join(synapseDir, 'homeserver.log'),
    healthTimeoutMs: 180_000,
  });
  running.push({ name: 'synapse', stop: synapse.stop });

  say(`Amorçage (comptes et salons${demo ? ', comptes de démonstration' : ''})…`);
  const botState = join(dataDir, 'bot');
  mkdirSync(botState, { recursive: true, mode: 0o700 });
  runOnce(
    'bootstrap',
    ['sh', ENTRYPOINT, 'node', join(root, 'bot', 'src', 'bootstrap', 'main.ts'), ...(demo ? ['--demo'] : [])],
    serviceEnv({
      ESPACE_SYNAPSE_URL: synapseUrl,
      ESPACE_SYNAPSE_SERVER_NAME: serverName,
      ESPACE_SYNAPSE_REGISTRATION_SECRET_FILE: join(secrets, 'registration_shared_secret'),
      ESPACE_STATE_DIR: botState,
      ESPACE_LOG_LEVEL: 'info',
    }),
    join(logs, 'bootstrap.log'),
  );

  // Outside the backup set (scripts/backup.ts archives secrets/, synapse/, bot/ only): replayed after a restore.
  const deletionJournal = resolve(
    process.env.ESPACE_DELETION_JOURNAL ?? join(dataDir, 'deletion-journal', 'deletions.jsonl'),
  );
  const botLog = join(logs, 'bot.log');
  await startService('bot', ['sh', ENTRYPOINT, 'node', join(root, 'bot', 'src', 'main.ts')], {
    env: serviceEnv({
      NODE_ENV: 'production',
      ESPACE_HOMESERVER_URL: synapseUrl,
      ESPACE_STATE_DIR: botState,
      ESPACE_DELETION_JOURNAL: deletionJournal,
      ESPACE_BOT_HOST: '127.0.0.1',
      ESPACE_BOT_PORT: String(ports.bot),
      ESPACE_WEB_ORIGINS: `${siteOrigin},${agentsOrigin}`,
      ESPACE_TRUST_PROXY: '1',
      ESPACE_LOG_LEVEL: 'info',
    }),
    log: botLog,
    ready: (dead) => waitForLine(botLog, /"ready":true/, 120_000, dead),
  });

  await startService('web', ['sh', ENTRYPOINT, 'node', 'build'], {
    cwd: join(root, 'web'),
    env: serviceEnv({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(ports.web),
      ADDRESS_HEADER: 'X-Forwarded-For',
      XFF_DEPTH: '1',
      PUBLIC_HOMESERVER_URL: siteOrigin,
      PUBLIC_BOT_API_URL: siteOrigin,
    }),
    log: join(logs, 'web.log'),
    ready: (dead) => waitForHealth(`http://127.0.0.1:${ports.web}/`, 30_000, dead),
  });

  const caddyDir = join(dataDir, 'caddy');
  await startService(
    'agent-client',
    ['caddy', 'run', '--config', join(root, 'deploy', 'agent-client', 'Caddyfile'), '--adapter', 'caddyfile'],
    {
      env: serviceEnv({
        ESPACE_AGENT_CLIENT_BIND: '127.0.0.1',
        ESPACE_AGENT_CLIENT_PORT: String(ports.agentClient),
        ESPACE_AGENT_CLIENT_ROOT: join(root, 'agent-client', 'dist'),
        XDG_CONFIG_HOME: join(caddyDir, 'agent-client', 'config'),
        XDG_DATA_HOME: join(caddyDir, 'agent-client', 'data'),
      }),
      log: join(logs, 'agent-client.log'),
      ready: (dead) => waitForHealth(`http://127.0.0.1:${ports.agentClient}/`, 30_000, dead),
    },
  );

  await startService(
    'proxy',
    ['caddy', 'run', '--config', join(root, 'deploy', 'proxy', 'Caddyfile'), '--adapter', 'caddyfile'],
    {
      env: serviceEnv({
        ESPACE_SITE_HOST: `${siteName}:${ports.https}`,
        ESPACE_AGENTS_HOST: `${agentsName}:${ports.https}`,
        ESPACE_TLS: 'internal',
        ESPACE_HTTP_PORT: String(ports.http),
        ESPACE_HTTPS_PORT: String(ports.https),
        ESPACE_PROXY_BIND: '127.0.0.1',
        ESPACE_PROXY_HEALTH: `127.0.0.1:${ports.proxyHealth}`,
        ESPACE_SYNAPSE_UPSTREAM: `127.0.0.1:${ports.synapse}`,
        ESPACE_BOT_UPSTREAM: `127.0.0.1:${ports.bot}`,
        ESPACE_WEB_UPSTREAM: `127.0.0.1:${ports.web}`,
        ESPACE_AGENT_CLIENT_UPSTREAM: `127.0.0.1:${ports.agentClient}`,
        // Certificates and Caddy's internal CA live here (compose: the caddy-data volume).
        XDG_CONFIG_HOME: join(caddyDir, 'proxy', 'config'),
        XDG_DATA_HOME: join(caddyDir, 'proxy', 'data'),
      }),
      log: join(logs, 'proxy.log'),
      ready: (dead) => waitForHealth(`http://127.0.0.1:${ports.proxyHealth}/healthz`, 30_000, dead),
    },
  );
  const caCertificate = join(caddyDir, 'proxy', 'data', 'caddy', 'pki', 'authorities', 'local', 'root.crt');

  // Monitoring, as compose's prometheus and alertmanager services: Alertmanager first, so no alert is dropped.
  const alerting = alertmanagerConfig(process.env);
  const alertmanagerUrl = `http://127.0.0.1:${ports.alertmanager}`;
  await startService(
    'alertmanager',
    [
      'prometheus-alertmanager',
      `--config.file=${alerting.path}`,
      `--storage.path=${join(dataDir, 'alertmanager')}`,
      `--web.listen-address=127.0.0.1:${ports.alertmanager}`,
      '--cluster.listen-address=',
    ],
    {
      env: serviceEnv({}),
      log: join(logs, 'alertmanager.log'),
      ready: (dead) => waitForHealth(`${alertmanagerUrl}/-/ready`, 60_000, dead),
    },
  );
  const prometheusDir = join(dataDir, 'prometheus');
  const prometheusConfig = writePrometheusConfig(join(prometheusDir, 'config'), {
    bot: `127.0.0.1:${ports.bot}`,
    synapse: `127.0.0.1:${ports.synapseMetrics}`,
    alertmanager: `127.0.0.1:${ports.alertmanager}`,
  });
  const prometheusUrl = `http://127.0.0.1:${ports.prometheus}`;
  await startService(
    'prometheus',
    [
      'prometheus',
      `--config.file=${prometheusConfig}`,
      `--storage.tsdb.path=${join(prometheusDir, 'data')}`,
      '--storage.tsdb.retention.time=30d',
      `--web.listen-address=127.0.0.1:${ports.prometheus}`,
    ],
    {
      env: serviceEnv({}),
      log: join(logs, 'prometheus.log'),
      ready: (dead) => waitForHealth(`${prometheusUrl}/-/ready`, 60_000, dead),
    },
  );

  const line = '─'.repeat(78);
  say(
    `\n${line}\nEspace mineurs tourne en forme de production (${Math.round((Date.now() - started) / 1000)} s).\n${line}`,
  );
  say(`Site des jeunes          ${siteOrigin}/`);
  say(`Client des agents        ${agentsOrigin}/`);
  say(
    `  (deux noms sur 127.0.0.1 : chromium --host-resolver-rules="MAP ${siteName} 127.0.0.1, MAP ${agentsName} 127.0.0.1")`,
  );
  say(`Autorité TLS (Caddy)     ${caCertificate}`);
  say(`Interne, jamais publié : PostgreSQL ${postgres.version} 127.0.0.1:${ports.postgres}, Synapse ${synapseUrl},`);
  say(
    `                         bot http://127.0.0.1:${ports.bot} (/healthz, /metrics), site http://127.0.0.1:${ports.web}`,
  );
  say(`Surveillance             Prometheus ${prometheusUrl}/alerts, Alertmanager ${alertmanagerUrl} (interne)`);
  say(
    alerting.example
      ? `Alertes                  personne n'est prévenu : ESPACE_ALERTMANAGER_CONFIG=… (modèle deploy/alertmanager/alertmanager.example.yml)`
      : `Alertes                  destinataires de ${alerting.path}`,
  );
  say(`Données                  ${dataDir} (journaux : ${logs}, secrets : ${secrets})`);
  say(`Journal des suppressions ${deletionJournal} (hors sauvegarde : gardez-le ailleurs)`);
  say(
    demo
      ? `Comptes de démonstration ${join(botState, 'demo-credentials.json')} (mode 0600)`
      : 'Aucun compte de démonstration (--demo pour en créer).',
  );
  say(`${line}\nCtrl-C pour tout arrêter.`);
  const ready = JSON.stringify({
    ready: true,
    siteUrl: siteOrigin,
    agentsUrl: agentsOrigin,
    siteHost: siteName,
    agentsHost: agentsName,
    httpsPort: ports.https,
    serverName,
    caCertificate,
    dataDir,
    botState,
    deletionJournal,
    internal: {
      postgres: `127.0.0.1:${ports.postgres}`,
      synapse: synapseUrl,
      synapseMetrics: `http://127.0.0.1:${ports.synapseMetrics}`,
      bot: `http://127.0.0.1:${ports.bot}`,
      web: `http://127.0.0.1:${ports.web}`,
      agentClient: `http://127.0.0.1:${ports.agentClient}`,
      prometheus: prometheusUrl,
      alertmanager: alertmanagerUrl,
    },
  });
  // While it runs: where it is, for scripts/backup.ts (an online pg_dump) and other tools.
  const stackFile = join(dataDir, 'stack.json');
  writeFileSync(stackFile, `${ready}\n`, { mode: 0o600 });
  running.push({ name: 'stack.json', stop: async () => rmSync(stackFile, { force: true }) });
  say(ready);
}

main().catch((error: unknown) => {
  process.stderr.write(`\nLe démarrage a échoué : ${(error as Error).message}\n`);
  void stopAll(1);
});
