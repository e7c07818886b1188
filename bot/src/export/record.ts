import {
  ExportRecord as ExportRecordSchema,
  SafetyEventType,
  parseContent,
  type ExportRecord,
} from '@espace-mineurs/protocol';
import { logger } from '../log.ts';
import { deleteLocalMedia } from '../matrix/admin.ts';
import {
  isNotFoundError,
  putStateEvent,
  redactRoomEvent,
  roomStateOf,
  sentByBot,
  type Homeserver,
} from '../matrix/homeserver.ts';
import type { Deps } from '../runtime/deps.ts';

const log = logger.child({ module: 'safety.export-record' });

/**
 * An export posted in a force's supervisors room is a full copy of a conversation. It is recorded as state there
 * (key = export id) so that it can be taken back: after `retention.exportPeriod` (the time to download it for the
 * procedure) or as soon as the conversation itself is deleted, whichever comes first, its two file messages are
 * redacted and their media deleted. Room retention alone would leave the files in the media store.
 */
export const ExportEventType = SafetyEventType.Export;

export type { ExportRecord } from '@espace-mineurs/protocol';
export type ExportFile = ExportRecord['files'][number];

export function parseExportRecord(content: unknown): ExportRecord | undefined {
  const parsed = parseContent(ExportRecordSchema, content);
  return parsed.ok ? parsed.value : undefined;
}

export async function saveExportRecord(hs: Homeserver, recordRoomId: string, record: ExportRecord): Promise<void> {
  await putStateEvent(hs, recordRoomId, ExportEventType, record.id, record);
}

/** The exports a force's supervisors room records (written by the bot only). */
export async function readExportRecords(hs: Homeserver, recordRoomId: string): Promise<ExportRecord[]> {
  const state = await roomStateOf(hs, recordRoomId);
  const records: ExportRecord[] = [];
  for (const event of state) {
    if (event.type !== ExportEventType || !sentByBot(hs, event.sender) || !event.state_key) continue;
    const record = parseExportRecord(event.content);
    if (record && record.id === event.state_key) records.push(record);
  }
  return records;
}

/** Exports still in the room that are due: their period ran out, or their conversation is gone. */
export function dueExports(
  records: readonly ExportRecord[],
  now: number,
  periodMs: number,
  deletedConversations: ReadonlySet<string>,
): ExportRecord[] {
  return records.filter(
    (record) =>
      record.removedAt === undefined && (record.at + periodMs <= now || deletedConversations.has(record.conversation)),
  );
}

/**
 * Takes an export back: redacts its file messages, deletes their media from the media store, records `removedAt`
 * and audits it. A file already redacted or media already gone counts as done, so a second run finishes a first
 * one that was interrupted.
 */
export async function removeExport(
  { matrix: hs, audit }: Pick<Deps, 'matrix' | 'audit'>,
  recordRoomId: string,
  record: ExportRecord,
  now: number,
  why: 'period' | 'conversation_deleted',
): Promise<ExportRecord> {
  for (const file of record.files) {
    try {
      await redactRoomEvent(
        hs,
        recordRoomId,
        file.eventId,
        `export-removed-${record.id}-${file.eventId}`,
        why === 'period'
          ? 'export retiré (durée de mise à disposition écoulée)'
          : 'export retiré (conversation supprimée)',
      );
    } catch (error) {
      if (!isNotFoundError(error)) throw error;
    }
    await deleteLocalMedia(hs, file.mxc);
  }
  const removed: ExportRecord = { ...record, removedAt: now };
  await audit.write([record.force], `export_removed:${record.id}`, {
    actor: hs.userId,
    action: 'export_removed',
    conversation: record.conversation,
    at: now,
    details: { export: record.id, reason: why },
  });
  await saveExportRecord(hs, recordRoomId, removed);
  log.info(
    { exportId: record.id, conversation: record.conversation, files: record.files.length, why },
    'took an export back',
  );
  return removed;
}
