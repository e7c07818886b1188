import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { EventType } from '@espace-mineurs/protocol';
import { freePort, startPostgres } from '@espace-mineurs/synapse';
import { ROOT, spawnProductionStack, type SpawnedStack } from './spawn-stack.ts';
import type { ProductionStack } from './stack.ts';
import {
  botCredentials,
  leave,
  matrixStatus,
  openConversation,
  say,
  SKIP_TO_HUMAN,
  waitFor,
  type Young,
} from './young.ts';

/**
 * scripts/backup.ts on the running production-shaped stack, then a restore proven by serving again: an online
 * backup (pg_dump -Fc, Synapse's data, the bot's state, the secrets); after it, a conversation is added and one
 * of the backup's conversations is deleted; the archive is restored into an empty data folder and a second
 * production-shaped stack is started on it with nothing of the first but the archive and the deletion journal
 * (kept outside the backup set, as deploy/README.md says). On it: the backup's conversations are there, the one
 * added afterwards is not, the one deleted afterwards is deleted again at the bot's start, the bootstrap created
 * nothing, and both audit chains of both forces verify.
 */
const stack: ProductionStack = inject('productionStack');
const work = mkdtempSync(join(tmpdir(), 'espace-backup-test-'));
// PostgreSQL's own user must traverse it to reach the restored cluster.
chmodSync(work, 0o711);
let restoredStack: SpawnedStack | undefined;
afterAll(async () => {
  try {
    await restoredStack?.stop();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

function script(action: 'backup' | 'restore', dataDir: string, file: string): void {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'backup.ts'), action, file], {
    cwd: ROOT,
    env: { ...process.env, ESPACE_DATA_DIR: dataDir },
    encoding: 'utf8',
  });
  expect(result.status, `${action}: ${result.stderr}`).toBe(0);
}

/** The admin command line (deploy/README.md, "Runbook"), as the bot's host runs it. */
function admin(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [join(ROOT, 'bot', 'src', 'admin', 'cli.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

const roomPath = (roomId: string) => `/_synapse/admin/v1/rooms/${encodeURIComponent(roomId)}`;

describe('backup and restore of the production-shaped stack', () => {
  it(
    'restores the backup into an empty folder and serves it again, with the later deletions replayed',
    { timeout: 900_000 },
    async () => {
      const bot = botCredentials(stack.botState);
      const here = { synapse: stack.internal.synapse, bot: stack.internal.bot };
      const live = {
        ESPACE_HOMESERVER_URL: stack.internal.synapse,
        ESPACE_STATE_DIR: stack.botState,
        ESPACE_DELETION_JOURNAL: stack.deletionJournal,
      };

      // Before the backup: a conversation that must come back, and one that will be deleted after the backup.
      const kept = await openConversation(here, bot.userId);
      const deleted: Young = await openConversation(here, bot.userId);
      await say(here, deleted, SKIP_TO_HUMAN, bot.userId);

      const archive = join(work, 'backup.tar');
      script('backup', stack.dataDir, archive);
      const journalAtBackup = existsSync(stack.deletionJournal) ? readFileSync(stack.deletionJournal, 'utf8') : '';

      // After the backup: one conversation more, and the young person of the other one leaves; an administrator
      // deletes it now (as retention would at the end of its period), which the deletion journal records.
      const added = await openConversation(here, bot.userId);
      await leave(here, deleted);
      const deletion = await waitFor(
        'the conversation to be in a queue, then deleted',
        async () => {
          const result = admin(['delete', deleted.roomId, '--yes'], live);
          return result.status === 0 ? result : undefined;
        },
        120_000,
        2000,
      );
      expect(deletion.stdout).toMatch(/supprimée/);
      expect(await matrixStatus(stack.internal.synapse, bot.accessToken, roomPath(deleted.roomId))).toBe(404);
      expect(readFileSync(stack.deletionJournal, 'utf8').slice(journalAtBackup.length)).toContain(
        JSON.stringify(deleted.roomId),
      );

      // Restore into an empty folder: nothing of the running stack's data folder is used from here on.
      const restored = join(work, 'restored');
      script('restore', restored, archive);
      for (const file of [
        'secrets/postgres_password',
        'secrets/registration_shared_secret',
        'synapse/signing.key',
        'synapse/secrets.json',
        'bot/bot-credentials.json',
      ]) {
        expect(readFileSync(join(restored, file)).equals(readFileSync(join(stack.dataDir, file))), file).toBe(true);
      }
      // Restoring again over it is refused: a restore never overwrites a data folder.
      const again = spawnSync(process.execPath, [join(ROOT, 'scripts', 'backup.ts'), 'restore', archive], {
        cwd: ROOT,
        env: { ...process.env, ESPACE_DATA_DIR: restored },
        encoding: 'utf8',
      });
      expect(again.status).not.toBe(0);
      expect(again.stderr).toMatch(/exists/);

      // The restored database is one Synapse can use (UTF8, C), and holds the backup's rooms only.
      const password = readFileSync(join(restored, 'secrets', 'postgres_password'), 'utf8').trim();
      const postgres = await startPostgres({
        dataDir: join(restored, 'postgres'),
        port: await freePort(),
        database: 'synapse',
        user: 'synapse',
        password,
      });
      try {
        const query = (sql: string) => {
          const result = postgres.client('psql', ['-X', '-At', '-d', 'synapse', '-c', sql]);
          expect(result.status, result.stderr).toBe(0);
          return result.stdout.trim();
        };
        const rooms = (roomId: string) =>
          query(`SELECT count(*) FROM rooms WHERE room_id = '${roomId.replace(/'/g, "''")}'`);
        expect(rooms(kept.roomId)).toBe('1');
        expect(rooms(deleted.roomId), 'the backup holds the room deleted after it').toBe('1');
        // The conversation opened after the backup is not in it. Its room may be (a pooled room, created ahead of
        // demand before the backup), but without the conversation: no marker naming a guest, no guest in it.
        const sql = (text: string) => `'${text.replace(/'/g, "''")}'`;
        expect(
          query(
            `SELECT count(*) FROM current_state_events WHERE room_id = ${sql(added.roomId)} AND type = ${sql(EventType.ConversationRoom)}`,
          ),
        ).toBe('0');
        expect(
          query(
            `SELECT count(*) FROM room_memberships WHERE room_id = ${sql(added.roomId)} AND user_id = ${sql(added.userId)}`,
          ),
        ).toBe('0');
        expect(
          query(`SELECT count(*) FROM events WHERE room_id = ${sql(added.roomId)} AND sender = ${sql(added.userId)}`),
        ).toBe('0');
        expect(
          query(
            `SELECT datcollate || ' ' || datctype || ' ' || pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'synapse'`,
          ),
        ).toBe('C C UTF8');
      } finally {
        await postgres.stop();
      }

      // Serve it again: the whole production-shaped stack on the restored folder, with the same deletion journal.
      restoredStack = await spawnProductionStack(restored, [], { ESPACE_DELETION_JOURNAL: stack.deletionJournal });
      const again2 = restoredStack.ready;
      const there = { synapse: again2.internal.synapse, bot: again2.internal.bot };

      // The bootstrap created nothing: the bot logged in with the restored credentials, unchanged.
      expect(
        readFileSync(join(again2.botState, 'bot-credentials.json')).equals(
          readFileSync(join(stack.botState, 'bot-credentials.json')),
        ),
      ).toBe(true);
      const bootstrapLog = readFileSync(join(restored, 'logs', 'bootstrap.log'), 'utf8');
      expect(bootstrapLog).toMatch(/bootstrap done/);
      expect(bootstrapLog).not.toMatch(/created the bot account/);
      expect((await fetch(`${again2.internal.bot}/readyz`)).status).toBe(200);

      // The deletion made after the backup was replayed at the bot's start; the backup's other conversation is
      // there, with its young person's session and messages; the one added after the backup is not.
      expect(await matrixStatus(there.synapse, bot.accessToken, roomPath(deleted.roomId))).toBe(404);
      expect(readFileSync(join(restored, 'logs', 'bot.log'), 'utf8')).toMatch(/replayed the deletion journal/);
      expect(await matrixStatus(there.synapse, bot.accessToken, roomPath(kept.roomId))).toBe(200);
      // The one added after the backup: its room may be there (pooled before the backup), never the conversation.
      const addedState = await fetch(`${there.synapse}${roomPath(added.roomId)}/state`, {
        headers: { authorization: `Bearer ${bot.accessToken}` },
      });
      if (addedState.status === 200) {
        const { state } = (await addedState.json()) as { state: Array<{ type: string; state_key?: string }> };
        expect(
          state.filter((event) => event.type === EventType.ConversationRoom || event.state_key === added.userId),
        ).toEqual([]);
      } else {
        expect(addedState.status).toBe(404);
      }
      expect(await matrixStatus(there.synapse, kept.accessToken, '/_matrix/client/v3/account/whoami')).toBe(200);
      expect(
        await matrixStatus(
          there.synapse,
          kept.accessToken,
          `/_matrix/client/v3/rooms/${encodeURIComponent(kept.roomId)}/messages?dir=b&limit=10`,
        ),
      ).toBe(200);
      // The young person of the kept conversation carries on: the restored bot answers them.
      await say(there, kept, SKIP_TO_HUMAN, bot.userId);

      // Both chains (bot and admin) of both forces verify against the restored rooms and their restored copies,
      // including the replay's own audit entry.
      const verify = admin(['audit', 'verify'], {
        ESPACE_HOMESERVER_URL: there.synapse,
        ESPACE_STATE_DIR: again2.botState,
      });
      expect(verify.status, `${verify.stdout}\n${verify.stderr}`).toBe(0);
      const mirrors = ['police', 'gendarmerie']
        .map((force) => join(again2.botState, 'audit', `${force}.jsonl`))
        .filter(existsSync)
        .map((file) => readFileSync(file, 'utf8'));
      const replayEntry = mirrors
        .join('\n')
        .split('\n')
        .find((line) => line.includes(deleted.roomId) && line.includes('"replay"'));
      expect(replayEntry, 'the replayed deletion is in the audit copy').toBeDefined();

      await restoredStack.stop();
      restoredStack = undefined;
    },
  );
});
