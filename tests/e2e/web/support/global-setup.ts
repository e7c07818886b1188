import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startAgentClient, type AgentClientServer } from '../../../support/agent-client-server.ts';
import { startHomeserver, type Homeserver } from '@espace-mineurs/synapse';
import { bootstrap } from '@espace-mineurs/bot/bootstrap';
import { startTestBot, type RunningBot } from '../../../support/bot-process.ts';
import type { WebStack } from './stack.ts';

const ROOT = resolve(import.meta.dirname, '../../../..');
/** The built site; ESPACE_WEB_BUILD points at another build (e.g. an older one kept to show a test failing). */
const SITE_ENTRY = join(process.env.ESPACE_WEB_BUILD ?? join(ROOT, 'web', 'build'), 'index.js');

/** The neutral page of the quick exit: the machine has no Internet, so it is served here, on its own origin. */
const NEUTRAL_PAGE =
  '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Météo</title></head><body><h1>Météo du jour</h1><p>Ensoleillé.</p></body></html>';

let homeserver: Homeserver | undefined;
let bot: RunningBot | undefined;
let site: ChildProcess | undefined;
let agentClient: AgentClientServer | undefined;
let neutral: Server | undefined;
let dataDir: string | undefined;

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createNetServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

async function waitForHttp(url: string, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`timed out waiting for ${what} at ${url}`);
}

async function startSite(port: number, env: Record<string, string>): Promise<ChildProcess> {
  if (!existsSync(SITE_ENTRY)) throw new Error(`${SITE_ENTRY} is missing: build the site first (npm run build -w web)`);
  const child = spawn(process.execPath, [SITE_ENTRY], {
    cwd: join(ROOT, 'web'),
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', ORIGIN: `http://127.0.0.1:${port}` },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, fail) =>
    child.once('exit', (code) => fail(new Error(`the site exited with ${code}: ${stderr}`))),
  );
  await Promise.race([waitForHttp(`http://127.0.0.1:${port}/`, 'the built site'), exited]);
  return child;
}

export interface WebStackOptions {
  /** The agent client (Vite) is only needed by tests that drive it. */
  agentClient?: boolean;
  /** Origins besides the site's that the bot accepts (a bench's proxy in front of the site). */
  extraWebOrigins?: string[];
  /** Bot config overrides (e.g. the bench's many openings from one address). */
  botOverrides?: Record<string, unknown>;
  sitePort?: number;
}

/**
 * Starts the stack: Synapse (test layer), bootstrap with demo staff, the real bot (CORS open to the site's
 * origin only), the built site, the agent client (Vite) and the neutral page. Used once for the e2e-web project
 * (setup below) and by the site's benchmark (web/scripts/bench.ts).
 */
export async function startWebStack(
  options: WebStackOptions = {},
): Promise<{ stack: WebStack; synapsePid: number | undefined }> {
  dataDir = mkdtempSync(join(tmpdir(), 'espace-web-e2e-'));
  const [sitePort, neutralPort] = [options.sitePort ?? (await freePort()), await freePort()];
  const siteUrl = `http://127.0.0.1:${sitePort}`;

  neutral = createHttpServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(NEUTRAL_PAGE);
  });
  await new Promise<void>((done) => neutral!.listen(neutralPort, '127.0.0.1', done));
  const neutralUrl = `http://127.0.0.1:${neutralPort}/`;

  homeserver = await startHomeserver({
    dataDir: join(dataDir, 'synapse'),
    port: 0,
    layers: ['test'],
    retention: { min: '1s', max: '365d' },
  });
  const boot = await bootstrap(homeserver, { stateDir: dataDir, demo: true });
  // startTestBot reads the allowed web origins from here: the site's, and nothing else.
  process.env.ESPACE_TEST_WEB_ORIGINS = [siteUrl, ...(options.extraWebOrigins ?? [])].join(',');
  bot = await startTestBot({
    homeserverUrl: homeserver.baseUrl,
    stateDir: dataDir,
    ...(options.botOverrides ? { overrides: options.botOverrides } : {}),
  });

  site = await startSite(sitePort, {
    PUBLIC_HOMESERVER_URL: homeserver.baseUrl,
    PUBLIC_BOT_API_URL: bot.url,
    PUBLIC_QUICK_EXIT_URL: neutralUrl,
  });

  if (options.agentClient !== false) agentClient = await startAgentClient(homeserver.baseUrl);

  const stack: WebStack = {
    homeserverUrl: homeserver.baseUrl,
    serverName: boot.serverName,
    siteUrl,
    botUrl: bot.url,
    agentClientUrl: agentClient?.url ?? '',
    neutralUrl,
    bot: { userId: boot.bot.userId, accessToken: boot.bot.accessToken },
    forces: boot.forces,
    demo: boot.demo,
  };
  const synapsePid =
    homeserver.processFile && existsSync(homeserver.processFile)
      ? Number(readFileSync(homeserver.processFile, 'utf8').trim())
      : undefined;
  return { stack, synapsePid };
}

/** Starts the whole stack once for the e2e-web project; every test makes its own guests and conversations. */
export async function setup(project: TestProject): Promise<void> {
  const started = Date.now();
  const { stack } = await startWebStack();
  project.provide('webStack', stack);
  process.stderr.write(
    `[e2e-web] stack ready in ${Date.now() - started} ms: site ${stack.siteUrl}, bot ${stack.botUrl}, agent client ${stack.agentClientUrl}\n`,
  );
}

export async function teardown(): Promise<void> {
  await agentClient?.close().catch(() => undefined);
  if (site && site.exitCode === null) {
    const exited = new Promise((done) => site!.once('exit', done));
    site.kill('SIGTERM');
    await exited;
  }
  await bot?.stop().catch(() => undefined);
  await homeserver?.stop();
  await new Promise((done) => (neutral ? neutral.close(done) : done(undefined)));
  if (dataDir && !process.env.ESPACE_KEEP_TEST_DATA) rmSync(dataDir, { recursive: true, force: true });
}
