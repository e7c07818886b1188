import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REDACTED_KEYS } from './log.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs the real logger in a child process, as the bot does, and returns the JSON lines it printed. */
function logLines(script: string): Array<Record<string, unknown>> {
  const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'node'), ['--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...process.env, VITEST: '', ESPACE_LOG_LEVEL: 'info' },
    encoding: 'utf8',
  });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the bot log', () => {
  it('redacts every sensitive key at the top level and one level down, and keeps the rest', () => {
    const secret = 'SECRET-VALUE-203.0.113.9';
    const fields = Object.fromEntries(REDACTED_KEYS.map((key) => [key, secret]));
    const logger = join(ROOT, 'bot', 'src', 'log.ts');
    const [line] = logLines(`
      const { logger } = await import(${JSON.stringify(logger)});
      logger.child({ module: 'test' }).info({ ...${JSON.stringify(fields)}, request: ${JSON.stringify(fields)}, roomId: '!kept:test' }, 'a line');
    `);
    expect(line).toBeDefined();
    expect(JSON.stringify(line)).not.toContain(secret);
    for (const key of REDACTED_KEYS) {
      expect(line![key], key).toBe('[redacted]');
      expect((line!.request as Record<string, unknown>)[key], `request.${key}`).toBe('[redacted]');
    }
    expect(line).toMatchObject({ roomId: '!kept:test', module: 'test', msg: 'a line' });
  });
});
