import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../support/wait.ts';

const fixture = fileURLToPath(new URL('../support/fixtures/start-synapse-child.ts', import.meta.url));

function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
}

const until = (what: string, condition: () => boolean, timeoutMs: number): Promise<true> =>
  waitUntil(what, () => (condition() ? true : undefined), timeoutMs);

describe('the homeserver harness', () => {
  it('leaves no Synapse behind when the process that started it is killed with SIGKILL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'espace-harness-'));
    const child = spawn(process.execPath, [fixture, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await until('the child to report READY', () => output.includes('READY '), 60_000);
    const baseUrl = output.split('READY ')[1]!.trim();
    const synapsePid = Number(readFileSync(join(dataDir, 'synapse.pid'), 'utf8'));
    expect(alive(synapsePid)).toBe(true);
    expect((await fetch(`${baseUrl}/health`)).status).toBe(200);

    child.kill('SIGKILL');
    await until(`Synapse (pid ${synapsePid}) to stop after its parent died`, () => !alive(synapsePid), 15_000);
    await expect(fetch(`${baseUrl}/health`)).rejects.toThrow();
  });
});
