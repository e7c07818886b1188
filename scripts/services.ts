import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What `npm start` (up.ts, up-federated.ts) and `npm run start:production` (production.ts) share: the services started so far,
 * stopped in reverse order on Ctrl-C, SIGTERM or a failure, each stop allowed to fail without stopping the rest.
 */
export type Stoppable = { name: string; stop: () => Promise<void> };

export const running: Stoppable[] = [];
let shuttingDown = false;

export function isShuttingDown(): boolean {
  return shuttingDown;
}

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function shutdown(code: number, done?: string): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    say('\nArrêt…');
    for (const service of running.reverse()) {
      try {
        await service.stop();
      } catch (error) {
        process.stderr.write(`stopping ${service.name} failed: ${(error as Error).message}\n`);
      }
    }
    if (done) say(done);
  }
  process.exit(code);
}

/** Runs a package's Vite dev server as a child; its output is prefixed so the terminal stays readable. */
export function startVite(
  root: string,
  name: string,
  folder: string,
  port: number,
  env: Record<string, string>,
): Stoppable | undefined {
  const config = ['vite.config.ts', 'vite.config.js'].map((file) => join(root, folder, file)).find(existsSync);
  if (!config) return undefined;
  const child: ChildProcess = spawn(
    join(root, 'node_modules', '.bin', 'node'),
    [
      join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
      'dev',
      '--port',
      String(port),
      '--strictPort',
      '--host',
      '127.0.0.1',
    ],
    { cwd: join(root, folder), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const prefix = (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => `[${name}] ${line}\n`)
      .join('');
  child.stdout?.on('data', (chunk: Buffer) => process.stdout.write(prefix(chunk)));
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(prefix(chunk)));
  child.on('exit', (code, signal) => {
    if (!isShuttingDown()) {
      process.stderr.write(`[${name}] stopped unexpectedly (${signal ?? code}); stopping everything.\n`);
      void shutdown(1);
    }
  });
  return {
    name,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * The agent client's dev server, configured for one homeserver: the single server of `npm start`, or a force's
 * own server in the federated topology, where `botUserIds` lists the bot's account on every server (the young
 * person's room speaks through the public server's account; agent-client/src/config.ts).
 */
export function startAgentClient(
  root: string,
  options: { name: string; port: number; homeserverUrl: string; botUserIds?: readonly string[] },
): Stoppable | undefined {
  return startVite(root, options.name, 'agent-client', options.port, {
    VITE_HOMESERVER_URL: options.homeserverUrl,
    ...(options.botUserIds ? { ESPACE_AGENT_BOT_USER_IDS: options.botUserIds.join(',') } : {}),
  });
}
