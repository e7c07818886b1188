import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort, startPostgres } from '@espace-mineurs/synapse';
import type { ProductionStack } from './stack.ts';

/**
 * scripts/backup.ts on the running production-shaped stack: an online backup (pg_dump -Fc of PostgreSQL,
 * Synapse's data, the bot's state, the secrets) restored into an empty data folder holds a conversation opened
 * just before, the same signing key, secrets and bot credentials, and a database Synapse can use (UTF8, C).
 */
const stack: ProductionStack = inject('productionStack');
const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'espace-backup-test-'));
// PostgreSQL's own user must traverse it to reach the restored cluster.
chmodSync(work, 0o711);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function script(action: 'backup' | 'restore', dataDir: string, file: string): void {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'backup.ts'), action, file], { cwd: ROOT, env: { ...process.env, ESPACE_DATA_DIR: dataDir }, encoding: 'utf8' });
  expect(result.status, `${action}: ${result.stderr}`).toBe(0);
}

describe('backup and restore of the production-shaped stack', () => {
  it('restores, into an empty folder, the conversations, keys, secrets and bot state of the backup', async () => {
    // A young person opens a conversation (guest account, then the bot's API), just before the backup.
    const guest = (await (await fetch(`${stack.internal.synapse}/_matrix/client/v3/register?kind=guest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { access_token: string };
    const opened = await fetch(`${stack.internal.bot}/api/conversations`, { method: 'POST', headers: { authorization: `Bearer ${guest.access_token}`, 'content-type': 'application/json' }, body: '{}' });
    expect(opened.status).toBe(201);
    const { roomId } = (await opened.json()) as { roomId: string };
    expect(roomId).toMatch(/^!/);

    const archive = join(work, 'backup.tar');
    script('backup', stack.dataDir, archive);
    const restored = join(work, 'restored');
    script('restore', restored, archive);

    for (const file of ['secrets/postgres_password', 'secrets/registration_shared_secret', 'synapse/signing.key', 'synapse/secrets.json', 'bot/bot-credentials.json']) {
      expect(readFileSync(join(restored, file)).equals(readFileSync(join(stack.dataDir, file))), file).toBe(true);
    }
    // Restoring again over it is refused: a restore never overwrites a data folder.
    const again = spawnSync(process.execPath, [join(ROOT, 'scripts', 'backup.ts'), 'restore', archive], { cwd: ROOT, env: { ...process.env, ESPACE_DATA_DIR: restored }, encoding: 'utf8' });
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/exists/);

    const password = readFileSync(join(restored, 'secrets', 'postgres_password'), 'utf8').trim();
    const postgres = await startPostgres({ dataDir: join(restored, 'postgres'), port: await freePort(), database: 'synapse', user: 'synapse', password });
    try {
      const query = (sql: string) => {
        const result = postgres.client('psql', ['-X', '-At', '-d', 'synapse', '-c', sql]);
        expect(result.status, result.stderr).toBe(0);
        return result.stdout.trim();
      };
      expect(query(`SELECT count(*) FROM rooms WHERE room_id = '${roomId.replace(/'/g, "''")}'`)).toBe('1');
      expect(Number(query(`SELECT count(*) FROM events WHERE room_id = '${roomId.replace(/'/g, "''")}'`))).toBeGreaterThan(3);
      const bot = JSON.parse(readFileSync(join(restored, 'bot', 'bot-credentials.json'), 'utf8')) as { userId: string };
      expect(query(`SELECT admin FROM users WHERE name = '${bot.userId.replace(/'/g, "''")}'`)).toBe('1');
      expect(query(`SELECT datcollate || ' ' || datctype || ' ' || pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'synapse'`)).toBe('C C UTF8');
    } finally {
      await postgres.stop();
    }
  });
});
