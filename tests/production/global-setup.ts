import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { ProductionStack } from './stack.ts';

const ROOT = resolve(import.meta.dirname, '../..');
/** Every port: 0, a free one, so that this tier runs beside a developer's own stack and other test runs. */
const PORTS = ['ESPACE_HTTPS_PORT', 'ESPACE_HTTP_PORT', 'ESPACE_POSTGRES_PORT', 'ESPACE_SYNAPSE_PORT', 'ESPACE_BOT_PORT', 'ESPACE_WEB_PORT', 'ESPACE_AGENT_CLIENT_PORT', 'ESPACE_PROXY_HEALTH_PORT'];

let child: ChildProcess | undefined;
let dataDir: string | undefined;
let output = '';

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

/** Starts `scripts/production.ts --demo` once, as `npm run start:production -- --demo` does, and waits for it. */
export async function setup(project: TestProject): Promise<void> {
  // A stack a developer already runs (`npm run start:production -- --demo`): its last line, {"ready":true,…}.
  if (process.env.ESPACE_PRODUCTION_READY) {
    const ready = JSON.parse(process.env.ESPACE_PRODUCTION_READY) as Omit<ProductionStack, 'demo'>;
    const demo = JSON.parse(readFileSync(join(ready.botState, 'demo-credentials.json'), 'utf8')) as ProductionStack['demo'];
    project.provide('productionStack', { ...ready, demo });
    return;
  }
  const started = Date.now();
  dataDir = mkdtempSync(join(tmpdir(), 'espace-production-'));
  chmodSync(dataDir, 0o711);
  child = spawn(process.execPath, [join(ROOT, 'scripts', 'production.ts'), '--demo'], {
    cwd: ROOT,
    env: { ...process.env, ESPACE_DATA_DIR: dataDir, ...Object.fromEntries(PORTS.map((name) => [name, '0'])) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  });
  const ready = await new Promise<Omit<ProductionStack, 'demo'>>((done, fail) => {
    let stdout = '';
    child!.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      output = (output + chunk.toString()).slice(-8000);
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('{"ready":true'));
      if (line) done(JSON.parse(line) as Omit<ProductionStack, 'demo'>);
    });
    child!.once('exit', (code) => fail(new Error(`scripts/production.ts exited with ${code} before it was ready:\n${output}`)));
  });
  const demo = JSON.parse(readFileSync(join(ready.botState, 'demo-credentials.json'), 'utf8')) as ProductionStack['demo'];
  project.provide('productionStack', { ...ready, demo });
  process.stderr.write(`[production] stack ready in ${Date.now() - started} ms: ${ready.siteUrl}, ${ready.agentsUrl}\n`);
}

/** Stops it as Ctrl-C would, and fails the run if any of its processes is left behind. */
export async function teardown(): Promise<void> {
  if (child && child.exitCode === null && child.pid) {
    const processes = descendants(child.pid);
    const exited = new Promise<number | null>((done) => child!.once('exit', (code) => done(code)));
    child.kill('SIGINT');
    const code = await exited;
    // The tethers end their service, then themselves; give them the few seconds Synapse takes to stop.
    const deadline = Date.now() + 20_000;
    while (processes.some(alive) && Date.now() < deadline) await new Promise((done) => setTimeout(done, 200));
    const left = processes.filter(alive);
    if (dataDir && !process.env.ESPACE_KEEP_TEST_DATA) rmSync(dataDir, { recursive: true, force: true });
    if (code !== 0) throw new Error(`scripts/production.ts stopped with exit code ${code}:\n${output}`);
    if (left.length > 0) throw new Error(`processes left after stopping the production-shaped stack: ${left.join(', ')}`);
  }
}
