import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, start, type RunningBot } from '@espace-mineurs/bot';

export type { RunningBot };

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, '..', '..');
export const TEST_ROUTING_FILE = join(here, 'routing.test.yaml');

export interface TestBotOptions {
  homeserverUrl: string;
  stateDir: string;
  /** Config keys to override (timeouts, rateLimits…). */
  overrides?: Record<string, unknown>;
}

function testEnv(options: TestBotOptions): Record<string, string> {
  return {
    ESPACE_HOMESERVER_URL: options.homeserverUrl,
    ESPACE_STATE_DIR: options.stateDir,
    ESPACE_BOT_PORT: '0',
    ESPACE_ROUTING_FILE: TEST_ROUTING_FILE,
    // Tests pretend to come from many addresses (X-Forwarded-For), so one test's flood never throttles another.
    ESPACE_TRUST_PROXY: '1',
    ESPACE_WEB_ORIGINS: process.env.ESPACE_TEST_WEB_ORIGINS ?? 'http://127.0.0.1:5173,http://localhost:5173',
    // A small room pool: both ways of opening (a pooled room, a room created on demand) happen in every run,
    // without each bot start creating the production default's 50 rooms on a loaded machine.
    ESPACE_ROOM_POOL_SIZE: '2',
  };
}

/** Starts the bot in this process, as the dev orchestrator does. */
export function startTestBot(options: TestBotOptions): Promise<RunningBot> {
  return start(loadConfig(testEnv(options), options.overrides ?? {}));
}

export interface ChildBot {
  url: string;
  child: ChildProcess;
  /** Ends it the hard way: no handler, no cleanup. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs `node bot/src/main.ts` as a child process (Node 24 from node_modules), configured by environment. */
export async function spawnBot(options: TestBotOptions & { env?: Record<string, string> }): Promise<ChildBot> {
  const node = join(ROOT, 'node_modules', '.bin', 'node');
  const child = spawn(node, [join(ROOT, 'bot', 'src', 'main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...testEnv(options),
      ESPACE_LOG_LEVEL: process.env.ESPACE_LOG_LEVEL ?? 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`the bot did not start within 30 s: ${stderr}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((candidate) => candidate.includes('"ready":true'));
      if (line) {
        clearTimeout(timer);
        resolveUrl((JSON.parse(line) as { url: string }).url);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bot exited with ${code} before starting: ${stderr}`));
    });
  });
  return {
    url,
    child,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
