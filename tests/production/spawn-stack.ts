import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ProductionStack } from './stack.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
/** Every port: 0, a free one, so that this tier runs beside a developer's own stack and other test runs. */
export const PORTS = [
  'ESPACE_HTTPS_PORT',
  'ESPACE_HTTP_PORT',
  'ESPACE_POSTGRES_PORT',
  'ESPACE_SYNAPSE_PORT',
  'ESPACE_SYNAPSE_METRICS_PORT',
  'ESPACE_BOT_PORT',
  'ESPACE_WEB_PORT',
  'ESPACE_AGENT_CLIENT_PORT',
  'ESPACE_PROXY_HEALTH_PORT',
  'ESPACE_PROMETHEUS_PORT',
  'ESPACE_ALERTMANAGER_PORT',
];

export type Ready = Omit<ProductionStack, 'demo' | 'alertWebhookPort'>;

/** Every process below `pid` (the stack's services, detached into their own sessions, are still its children). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      // Field 4 of /proc/PID/stat, after the command name in parentheses (which may hold spaces).
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const next of parents.get(queue.shift()!) ?? []) {
      queue.push(next);
      found.push(next);
    }
  }
  return found;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export interface SpawnedStack {
  ready: Ready;
  /** What it printed lately (stdout and stderr), for failure messages. */
  output: () => string;
  /** Stops it as Ctrl-C would; fails when it exits with an error or leaves a process behind. */
  stop: () => Promise<void>;
}

/** Starts `scripts/production.ts ARGS` on `dataDir`, every port free, and waits for its {"ready":true,…} line. */
export async function spawnProductionStack(
  dataDir: string,
  args: string[],
  env: Record<string, string>,
): Promise<SpawnedStack> {
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'scripts', 'production.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ESPACE_DATA_DIR: dataDir, ...Object.fromEntries(PORTS.map((name) => [name, '0'])), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  });
  const ready = await new Promise<Ready>((done, fail) => {
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      output = (output + chunk.toString()).slice(-8000);
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('{"ready":true'));
      if (line) done(JSON.parse(line) as Ready);
    });
    child.once('exit', (code) =>
      fail(new Error(`scripts/production.ts exited with ${code} before it was ready:\n${output}`)),
    );
  });
  return {
    ready,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || !child.pid) return;
      const processes = descendants(child.pid);
      const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      child.kill('SIGINT');
      const code = await exited;
      // The tethers end their service, then themselves; give them the few seconds Synapse takes to stop.
      const deadline = Date.now() + 20_000;
      while (processes.some(alive) && Date.now() < deadline) await new Promise((done) => setTimeout(done, 200));
      const left = processes.filter(alive);
      if (code !== 0) throw new Error(`scripts/production.ts stopped with exit code ${code}:\n${output}`);
      if (left.length > 0)
        throw new Error(`processes left after stopping the production-shaped stack: ${left.join(', ')}`);
    },
  };
}
