import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { FORCES, type Force } from '@espace-mineurs/protocol';
import { logger } from '../log.ts';
import {
  deleteRoomWithPurge,
  readSafetyState,
  saveRetentionRecord,
  serversOf,
  type DeletionOptions,
  type DeletionResult,
} from './purge.ts';
import type { Deps } from '../runtime/deps.ts';

const log = logger.child({ module: 'safety.deletion-journal' });

/**
 * One deletion, as the journal keeps it: which room, of which force, when. Nothing else (no ticket, no triage,
 * no reason): the journal lives outside the backups and outside Matrix, so it holds identifiers and times only.
 */
export interface JournalEntry {
  roomId: string;
  force: Force;
  at: number;
}

export interface JournalContents {
  entries: JournalEntry[];
  /** 1-based numbers of lines that are not journal entries (a torn last write, or tampering). */
  unreadable: number[];
}

function asEntry(value: unknown): JournalEntry | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const entry = value as Record<string, unknown>;
  if (typeof entry.roomId !== 'string' || !/^![^:]+:.+$/.test(entry.roomId)) return undefined;
  if (typeof entry.force !== 'string' || !(FORCES as readonly string[]).includes(entry.force)) return undefined;
  if (typeof entry.at !== 'number' || !Number.isFinite(entry.at)) return undefined;
  return { roomId: entry.roomId, force: entry.force as Force, at: entry.at };
}

/** Reads journal text; pure, for tests. Later lines for the same room keep the first deletion. */
export function parseJournal(text: string): JournalContents {
  const entries: JournalEntry[] = [];
  const unreadable: number[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let entry: JournalEntry | undefined;
    try {
      entry = asEntry(JSON.parse(line));
    } catch {
      entry = undefined;
    }
    if (!entry) unreadable.push(index + 1);
    else if (!seen.has(entry.roomId)) {
      seen.add(entry.roomId);
      entries.push(entry);
    }
  });
  return { entries, unreadable };
}

/**
 * The deletion journal (docs/personal-data.md §14–15, deploy/README.md "Backups"): an append-only JSON-lines file
 * where every room deleted with purge is written, fsynced, as soon as Synapse has deleted it. It is kept *outside*
 * the backup set (its own volume or disk), so that after a restore, which brings back the database as it was, the
 * bot deletes again at start every room deleted since the backup (`replayDeletions`).
 */
export class DeletionJournal {
  readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  append(entry: JournalEntry): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    // A torn last write (a crash mid-line) must not swallow this entry: start it on a line of its own.
    const torn =
      existsSync(this.file) && !readFileSync(this.file, 'utf8').endsWith('\n') && statSync(this.file).size > 0;
    const fd = openSync(this.file, 'a', 0o600);
    try {
      writeSync(
        fd,
        `${torn ? '\n' : ''}${JSON.stringify({ roomId: entry.roomId, force: entry.force, at: entry.at })}\n`,
      );
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  read(): JournalContents {
    if (!existsSync(this.file)) return { entries: [], unreadable: [] };
    return parseJournal(readFileSync(this.file, 'utf8'));
  }
}

export interface ReplayReport {
  /** Rooms the journal names that Synapse still had (a restore brought them back), deleted again now. */
  replayed: string[];
  /** Rooms already gone: nothing to do. */
  gone: number;
  failed: Array<{ roomId: string; code: string }>;
}

/**
 * Deletes again every room of the journal that the homeserver still knows, whatever the restored state says about
 * it (a legal hold restored from the backup was lifted before the deletion the journal records). Each deletion is
 * recorded beside the holds (so the next retention pass scrubs its traces on the agents' side and ends the guest,
 * as after any deletion) and audited with the reason `replay`. Runs before the bot rebuilds its state.
 */
export async function replayDeletions(
  deps: Pick<Deps, 'matrix' | 'audit' | 'now'>,
  journal: DeletionJournal,
  recordRooms: Record<Force, string>,
  options: DeletionOptions = {},
): Promise<ReplayReport> {
  const { matrix: hs, audit } = deps;
  const report: ReplayReport = { replayed: [], gone: 0, failed: [] };
  const { entries, unreadable } = journal.read();
  if (unreadable.length > 0)
    log.error(
      { file: journal.file, lines: unreadable.slice(0, 20) },
      'the deletion journal has unreadable lines; they are skipped',
    );
  for (const entry of entries) {
    try {
      // Every server that may hold a copy, each through its own client (federated: a restored force server
      // brings back its copy of a young person's room, whose ID names the public server).
      let result: DeletionResult | undefined;
      for (const server of serversOf(hs)) {
        const one = await deleteRoomWithPurge(server, entry.roomId, options);
        if (!result || (result.outcome === 'already_gone' && one.outcome === 'deleted')) result = one;
      }
      if (!result) throw new Error('no server to delete the room on');
      if (result.outcome === 'already_gone') {
        report.gone++;
        continue;
      }
      const recordRoomId = recordRooms[entry.force];
      const previous = (await readSafetyState(hs, recordRoomId)).records.get(entry.roomId);
      await saveRetentionRecord(hs, recordRoomId, entry.roomId, {
        closedAt: previous?.closedAt ?? entry.at,
        periodMs: previous?.periodMs ?? 0,
        deletedAt: entry.at,
        ...(result.deleteId ? { deleteId: result.deleteId } : {}),
      });
      await audit.write([entry.force], `delete_replay:${entry.roomId}`, {
        actor: hs.userId,
        action: 'delete',
        conversation: entry.roomId,
        at: deps.now(),
        details: { reason: 'replay', deletedAt: entry.at, outcome: result.outcome, media: result.mediaDeleted },
      });
      report.replayed.push(entry.roomId);
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'ERROR';
      log.error({ roomId: entry.roomId, code }, 'could not replay a deletion of the journal');
      report.failed.push({ roomId: entry.roomId, code });
    }
  }
  if (report.replayed.length || report.failed.length)
    log.warn(
      { replayed: report.replayed.length, gone: report.gone, failed: report.failed.length },
      'replayed the deletion journal (a restore brought back deleted rooms)',
    );
  return report;
}
