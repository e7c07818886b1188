import {
  FORCES,
  LEGAL_HOLD_REASON,
  LegalHold as LegalHoldSchema,
  RetentionRecord as RetentionRecordSchema,
  SafetyEventType,
  parseContent,
  type ConversationState,
  type Force,
  type LegalHold,
  type RetentionRecord,
} from '@espace-mineurs/protocol';
import { logger } from '../log.ts';
import { statusOf } from '../matrix/errors.ts';
import {
  deleteLocalMedia,
  purgeRemoteMediaCache,
  roomDeletionStatus,
  roomKnown,
  roomMedia,
  startRoomDeletion,
} from '../matrix/admin.ts';
import { putStateEvent, roomStateOf, sentByBot, type Homeserver } from '../matrix/homeserver.ts';
import { redactSupersededVersions } from './traces.ts';
import type { Deps } from '../runtime/deps.ts';
import { SafetyError, type StaffLookup } from '../runtime/safety.ts';

const log = logger.child({ module: 'safety.retention' });

/**
 * Event types of this module (protocol/src/safety.ts). Both are state events in the force's supervisors room
 * (agents never see them), written by the bot only, state key = the young person's room ID.
 */
export const RetentionEventType = {
  /** A supervisor's legal hold: while active, the room is never deleted. */
  LegalHold: SafetyEventType.LegalHold,
  /** When the room's retention clock started, its period, when it was deleted and its traces removed. */
  Retention: SafetyEventType.Retention,
} as const;

export type { LegalHold, RetentionRecord } from '@espace-mineurs/protocol';

export async function saveRetentionRecord(
  hs: Homeserver,
  recordRoomId: string,
  roomId: string,
  record: RetentionRecord,
): Promise<void> {
  await putStateEvent(hs, recordRoomId, RetentionEventType.Retention, roomId, record);
}

/** A conversation as retention sees it (from its ConversationEntry, or the engine's store). */
export interface RetentionCandidate {
  roomId: string;
  force: Force;
  state: ConversationState;
  closedAt?: number;
  /** The period chosen when it closed; the default applies when absent. */
  periodMs?: number;
  deletedAt?: number;
}

export interface RetentionPlan {
  due: Array<RetentionCandidate & { dueAt: number }>;
  held: Array<RetentionCandidate & { dueAt: number }>;
  waiting: Array<RetentionCandidate & { dueAt: number }>;
}

const ENDED: ReadonlySet<ConversationState> = new Set(['closed', 'abandoned']);

/**
 * Which ended conversations are due for deletion at `now`: closed or abandoned, not deleted yet, whose period
 * (from `closedAt`) has run out. Those under an active legal hold are listed apart and never due.
 */
export function planRetention(
  candidates: readonly RetentionCandidate[],
  holds: ReadonlySet<string>,
  now: number,
  defaultPeriodMs: number,
): RetentionPlan {
  const plan: RetentionPlan = { due: [], held: [], waiting: [] };
  for (const candidate of candidates) {
    if (!ENDED.has(candidate.state) || candidate.closedAt === undefined || candidate.deletedAt !== undefined) continue;
    const dueAt = candidate.closedAt + (candidate.periodMs ?? defaultPeriodMs);
    const item = { ...candidate, dueAt };
    if (holds.has(candidate.roomId)) plan.held.push(item);
    else if (dueAt <= now) plan.due.push(item);
    else plan.waiting.push(item);
  }
  plan.due.sort((a, b) => a.dueAt - b.dueAt);
  return plan;
}

/** Whether any of these supervisors rooms holds the conversation (a hold stays with the force that placed it). */
async function heldIn(hs: Homeserver, holdRoomIds: readonly string[], roomId: string): Promise<boolean> {
  for (const holdRoomId of holdRoomIds)
    if ((await readSafetyState(hs, holdRoomId)).holds.get(roomId)?.active) return true;
  return false;
}

/**
 * The room's `m.room.retention`: the period, or no lifetime at all while a legal hold keeps it. Synapse's own purge
 * jobs know nothing of holds: with a lifetime they would drop a held conversation's messages (all but the last)
 * once the period has run, though the bot keeps the room. Room state, so every server's copy follows it.
 */
async function putRoomLifetime(hs: Homeserver, roomId: string, periodMs: number | undefined): Promise<void> {
  await putStateEvent(hs, roomId, 'm.room.retention', '', periodMs === undefined ? {} : { max_lifetime: periodMs });
}

/**
 * Starts a closed room's retention clock: `m.room.retention` in the room (Synapse's own purge jobs then drop old
 * messages even if the bot never gets to delete it), unless a hold in one of `holdRoomIds` (default: the record
 * room) keeps it, and a retention record beside the holds.
 */
export async function startRetention(
  hs: Homeserver,
  options: {
    roomId: string;
    recordRoomId: string;
    closedAt: number;
    periodMs: number;
    holdRoomIds?: readonly string[];
  },
): Promise<void> {
  const held = await heldIn(hs, options.holdRoomIds ?? [options.recordRoomId], options.roomId);
  await putRoomLifetime(hs, options.roomId, held ? undefined : options.periodMs);
  await saveRetentionRecord(hs, options.recordRoomId, options.roomId, {
    closedAt: options.closedAt,
    periodMs: options.periodMs,
  });
}

export interface SafetyState {
  holds: Map<string, LegalHold>;
  records: Map<string, RetentionRecord>;
}

/** Reads the holds and retention records a force keeps in its supervisors room (written by the bot only). */
export async function readSafetyState(hs: Homeserver, recordRoomId: string): Promise<SafetyState> {
  const state = await roomStateOf(hs, recordRoomId);
  const holds = new Map<string, LegalHold>();
  const records = new Map<string, RetentionRecord>();
  for (const event of state) {
    if (!sentByBot(hs, event.sender) || !event.state_key) continue;
    if (event.type === RetentionEventType.LegalHold) {
      const hold = parseContent(LegalHoldSchema, event.content);
      if (hold.ok) holds.set(event.state_key, hold.value);
    } else if (event.type === RetentionEventType.Retention) {
      const record = parseContent(RetentionRecordSchema, event.content);
      if (record.ok) records.set(event.state_key, record.value);
    }
  }
  return { holds, records };
}

export function activeHolds(state: SafetyState): Set<string> {
  return new Set([...state.holds].filter(([, hold]) => hold.active).map(([roomId]) => roomId));
}

function requireSupervisor(staff: StaffLookup, userId: string, force: Force): void {
  const member = staff(userId);
  if (!member || !member.active)
    throw new SafetyError('NOT_STAFF', 'Seul un superviseur peut poser ou lever une conservation judiciaire.');
  if (member.role !== 'supervisor')
    throw new SafetyError('NOT_SUPERVISOR', 'Seul un superviseur peut poser ou lever une conservation judiciaire.');
  if (member.force !== force) throw new SafetyError('WRONG_FORCE', "Cette conversation relève de l'autre force.");
}

export interface HoldRequest {
  force: Force;
  /** The force's supervisors room, where holds live. */
  recordRoomId: string;
  /**
   * Every force's supervisors room (default: `recordRoomId`): where the conversation's retention record and any
   * other force's hold are, so that lifting a hold gives the room its lifetime back only when nothing holds it.
   */
  supervisorsRoomIds?: readonly string[];
  roomId: string;
  supervisor: string;
  at: number;
}

/** Places a legal hold (a supervisor of the conversation's force, with a reason); audited. */
export async function putLegalHold(
  { matrix: hs, audit, staff }: Pick<Deps, 'matrix' | 'audit' | 'staff'>,
  request: HoldRequest & { reason: string },
): Promise<LegalHold> {
  requireSupervisor(staff, request.supervisor, request.force);
  const reason = request.reason.trim();
  if (reason.length < LEGAL_HOLD_REASON.min || reason.length > LEGAL_HOLD_REASON.max)
    throw new SafetyError(
      'REASON_REQUIRED',
      `Indiquez le motif de la conservation (${LEGAL_HOLD_REASON.min} à ${LEGAL_HOLD_REASON.max} caractères).`,
    );
  for (const roomId of request.supervisorsRoomIds ?? [request.recordRoomId])
    if ((await readSafetyState(hs, roomId)).records.get(request.roomId)?.deletedAt !== undefined)
      throw new SafetyError(
        'UNKNOWN_CONVERSATION',
        "Cette conversation a déjà été supprimée : il n'y a plus rien à conserver.",
      );
  const hold: LegalHold = { active: true, reason, by: request.supervisor, at: request.at };
  await putStateEvent(hs, request.recordRoomId, RetentionEventType.LegalHold, request.roomId, hold);
  // Before the audit: a hold is only recorded once Synapse will no longer purge the room's history by itself.
  await putRoomLifetime(hs, request.roomId, undefined);
  await audit.write([request.force], `legal_hold:${request.roomId}:${request.at}`, {
    actor: request.supervisor,
    action: 'legal_hold',
    conversation: request.roomId,
    at: request.at,
  });
  return hold;
}

/** Lifts a legal hold; the room becomes deletable again at the next sweep if its period has run out. Audited. */
export async function liftLegalHold(
  { matrix: hs, audit, staff }: Pick<Deps, 'matrix' | 'audit' | 'staff'>,
  request: HoldRequest,
): Promise<LegalHold> {
  requireSupervisor(staff, request.supervisor, request.force);
  const current = (await readSafetyState(hs, request.recordRoomId)).holds.get(request.roomId);
  if (!current?.active) throw new SafetyError('NO_HOLD', "Cette conversation n'est pas sous conservation judiciaire.");
  const lifted: LegalHold = { ...current, active: false, liftedBy: request.supervisor, liftedAt: request.at };
  await putStateEvent(hs, request.recordRoomId, RetentionEventType.LegalHold, request.roomId, lifted);
  // A closed conversation gets its lifetime back, unless the other force holds it too.
  const rooms = request.supervisorsRoomIds ?? [request.recordRoomId];
  if (!(await heldIn(hs, rooms, request.roomId))) {
    for (const roomId of rooms) {
      const record = (await readSafetyState(hs, roomId)).records.get(request.roomId);
      if (record && record.deletedAt === undefined) {
        await putRoomLifetime(hs, request.roomId, record.periodMs);
        break;
      }
    }
  }
  await audit.write([request.force], `legal_hold_lift:${request.roomId}:${request.at}`, {
    actor: request.supervisor,
    action: 'legal_hold_lift',
    conversation: request.roomId,
    at: request.at,
  });
  return lifted;
}

/**
 * After a conversation's deletion its hold, necessarily lifted by then, keeps who and when but not the reason
 * (free text, it can name people): the current version is rewritten without it and every earlier version redacted.
 * Returns how many versions were redacted; nothing to do when there never was a hold.
 */
export async function scrubLegalHold(
  hs: Homeserver,
  recordRoomId: string,
  roomId: string,
  at: number,
): Promise<number> {
  const hold = (await readSafetyState(hs, recordRoomId)).holds.get(roomId);
  if (!hold || hold.active) return 0;
  if (hold.scrubbedAt === undefined) {
    const scrubbed: LegalHold = { ...hold, reason: '', scrubbedAt: at };
    await putStateEvent(hs, recordRoomId, RetentionEventType.LegalHold, roomId, scrubbed);
  }
  return redactSupersededVersions(hs, recordRoomId, RetentionEventType.LegalHold, roomId, 'conversation supprimée');
}

export interface DeletionOptions {
  pollMs?: number;
  /** Delete tasks started before giving up (the last one with force_purge). */
  attempts?: number;
  timeoutMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Where each deletion is written as soon as it is done, outside the backups (journal.ts); none in most tests. */
  journal?: DeletionLog;
}

/** What deleteConversation tells the deletion journal (retention/journal.ts implements it). */
export interface DeletionLog {
  append(entry: { roomId: string; force: Force; at: number }): void;
}

export interface DeletionResult {
  roomId: string;
  outcome: 'deleted' | 'already_gone';
  deleteId?: string;
  /** Local media referenced by the room's events, deleted from the media store. */
  mediaDeleted: number;
  /**
   * Federated: entries of this server's remote-media cache deleted because the room referenced another server's
   * media (an evidence image a force server fetched for its agent); absent when there was none.
   */
  remoteCacheDeleted?: number;
  durationMs: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitForTask(
  hs: Homeserver,
  deleteId: string,
  deadline: number,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
  pollMs: number,
): Promise<'complete' | 'failed' | 'timeout'> {
  for (;;) {
    const status = await roomDeletionStatus(hs, deleteId);
    if (status === 'complete' || status === 'failed') return status;
    if (now() > deadline) return 'timeout';
    await sleep(pollMs);
  }
}

/**
 * Deletes a room for good: lists its local media, deletes the room with purge and block (every member is kicked,
 * every event and its state removed from the database, the ID refused forever), waits for Synapse's background
 * task, deletes the media (a room purge leaves it in the media store), then checks the admin API no longer knows
 * the room. When the room referenced another server's media (federated: a force server's copy of a young person's
 * room, whose evidence images its agents opened), this server's remote-media cache is emptied, after the room's
 * deletion so nothing fetches it again through the room: Synapse (1.160) deletes only local media by ID
 * (`DELETE /_synapse/admin/v1/media/<server>/<id>` answers 400 for another server's) and purges its cache by last
 * access only, so the whole cache goes; what is still needed is fetched again from its origin on demand. Throws SafetyError PURGE_FAILED / PURGE_TIMEOUT / ROOM_STILL_PRESENT; safe to call again.
 */
export async function deleteRoomWithPurge(
  hs: Homeserver,
  roomId: string,
  options: DeletionOptions = {},
): Promise<DeletionResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const started = now();
  if (!(await roomKnown(hs, roomId)))
    return { roomId, outcome: 'already_gone', mediaDeleted: 0, durationMs: now() - started };

  const media = await roomMedia(hs, roomId);
  const attempts = options.attempts ?? 3;
  const deadline = started + (options.timeoutMs ?? 120_000);
  let deleteId: string;
  for (let attempt = 1; ; attempt++) {
    // Seen on Synapse 1.160 about once in ten runs: the purge step fails ("Users are still joined") right after the
    // shutdown kicked everyone. The room is then blocked and empty of local users, so a new attempt succeeds; the
    // last one skips that check (force_purge), which is safe for the same reason.
    const body = { purge: true, block: true, ...(attempt === attempts ? { force_purge: true } : {}) };
    deleteId = await startRoomDeletion(hs, roomId, body);
    const status = await waitForTask(hs, deleteId, deadline, now, sleep, options.pollMs ?? 200);
    if (status === 'complete') break;
    if (status === 'timeout')
      throw new SafetyError(
        'PURGE_TIMEOUT',
        `La suppression de la salle ${roomId} n'est pas terminée (tâche ${deleteId}).`,
      );
    log.warn({ roomId, deleteId, attempt }, 'a room deletion task failed');
    if (attempt >= attempts)
      throw new SafetyError(
        'PURGE_FAILED',
        `Synapse a échoué à supprimer la salle ${roomId} (tâche ${deleteId}, ${attempts} essais).`,
      );
    await sleep(500 * attempt);
  }

  let mediaDeleted = 0;
  for (const mxc of media.local) if (await deleteLocalMedia(hs, mxc)) mediaDeleted++;
  const remoteCacheDeleted = media.remote.length > 0 ? await purgeRemoteMediaCache(hs) : undefined;
  if (await roomKnown(hs, roomId))
    throw new SafetyError('ROOM_STILL_PRESENT', `Synapse connaît encore la salle ${roomId} après sa suppression.`);
  const durationMs = now() - started;
  log.info({ roomId, deleteId, mediaDeleted, remoteCacheDeleted, durationMs }, 'deleted a room with purge');
  return {
    roomId,
    outcome: 'deleted',
    deleteId,
    mediaDeleted,
    ...(remoteCacheDeleted !== undefined ? { remoteCacheDeleted } : {}),
    durationMs,
  };
}

/** Every server of the deployment when `hs` is the bot's federated client, `hs` alone otherwise. */
export function serversOf(hs: Homeserver): readonly Homeserver[] {
  const all = (hs as { everyServer?: () => readonly Homeserver[] }).everyServer?.();
  return all && all.length > 0 ? all : [hs];
}

/**
 * Deletes one conversation now (retention or an admin's "delete now"), refusing while a legal hold is active in
 * any of `holdRoomIds` (default: `recordRoomId` alone; give every force's supervisors room, since a hold placed
 * before a cross-force transfer stays in the first force's); records the deletion beside the holds and audits it.
 */
export async function deleteConversation(
  { matrix: hs, audit }: Pick<Deps, 'matrix' | 'audit'>,
  request: {
    force: Force;
    recordRoomId: string;
    /** The supervisors rooms whose legal holds keep the room; default `[recordRoomId]`. */
    holdRoomIds?: readonly string[];
    roomId: string;
    actor: string;
    reason: 'retention' | 'manual';
    at: number;
  },
  options: DeletionOptions = {},
): Promise<DeletionResult> {
  if (await heldIn(hs, request.holdRoomIds ?? [request.recordRoomId], request.roomId))
    throw new SafetyError(
      'LEGAL_HOLD',
      'Cette conversation est sous conservation judiciaire : elle ne peut pas être supprimée.',
    );
  const safety = await readSafetyState(hs, request.recordRoomId);
  // Federated topology: the room is purged on every server that may hold a copy (docs/architecture.md,
  // "Federated topology", rule 4), the server holding the room first; the others answer "already gone" when they
  // never held it. A failure anywhere throws, and the next sweep starts again (each step is idempotent).
  let result: DeletionResult | undefined;
  for (const server of serversOf(hs)) {
    const one = await deleteRoomWithPurge(server, request.roomId, options);
    result ??= one;
  }
  if (!result) throw new Error('no server to delete the room on');
  // Also when already gone: a crash after the purge and before this line would otherwise leave no trace of it.
  options.journal?.append({ roomId: request.roomId, force: request.force, at: request.at });
  const previous = safety.records.get(request.roomId);
  const record: RetentionRecord = {
    closedAt: previous?.closedAt ?? request.at,
    periodMs: previous?.periodMs ?? 0,
    deletedAt: request.at,
    ...(result.deleteId ? { deleteId: result.deleteId } : {}),
  };
  await saveRetentionRecord(hs, request.recordRoomId, request.roomId, record);
  await audit.write([request.force], `delete:${request.roomId}`, {
    actor: request.actor,
    action: 'delete',
    conversation: request.roomId,
    at: request.at,
    details: { reason: request.reason, outcome: result.outcome, media: result.mediaDeleted },
  });
  return result;
}

export interface SweepReport {
  deleted: DeletionResult[];
  held: number;
  waiting: number;
  failed: Array<{ roomId: string; code: string }>;
}

export interface SweepOptions {
  /** The force's supervisors room of each force (holds and retention records). */
  recordRooms: Record<Force, string>;
  /** Ended conversations (the engine's store, or `readConversationEntries`). */
  candidates: () => Promise<RetentionCandidate[]>;
  defaultPeriodMs: number;
  deletion?: DeletionOptions;
}

/** One retention pass: deletes every due, unheld room; one failure does not stop the others. */
export async function sweepRetention(
  deps: Pick<Deps, 'matrix' | 'audit' | 'now'>,
  options: SweepOptions,
): Promise<SweepReport> {
  const report: SweepReport = { deleted: [], held: 0, waiting: 0, failed: [] };
  const candidates = await options.candidates();
  const safetyOf = new Map<Force, SafetyState>();
  for (const force of FORCES) safetyOf.set(force, await readSafetyState(deps.matrix, options.recordRooms[force]));
  // A hold in either force's supervisors room keeps the room: one placed before a cross-force transfer stays with
  // the force that placed it, while the retention record follows the conversation.
  const held = new Set(FORCES.flatMap((force) => [...activeHolds(safetyOf.get(force)!)]));
  for (const force of FORCES) {
    const safety = safetyOf.get(force)!;
    const mine = candidates
      .filter((candidate) => candidate.force === force)
      .map((candidate) => {
        const record = safety.records.get(candidate.roomId);
        return {
          ...candidate,
          ...(candidate.periodMs === undefined && record ? { periodMs: record.periodMs } : {}),
          ...(record?.deletedAt !== undefined ? { deletedAt: record.deletedAt } : {}),
        };
      });
    const plan = planRetention(mine, held, deps.now(), options.defaultPeriodMs);
    report.held += plan.held.length;
    report.waiting += plan.waiting.length;
    for (const item of plan.due) {
      try {
        report.deleted.push(
          await deleteConversation(
            deps,
            {
              force,
              recordRoomId: options.recordRooms[force],
              holdRoomIds: FORCES.map((holdForce) => options.recordRooms[holdForce]),
              roomId: item.roomId,
              actor: deps.matrix.userId,
              reason: 'retention',
              at: deps.now(),
            },
            options.deletion,
          ),
        );
      } catch (error) {
        const code = error instanceof SafetyError ? error.code : `HTTP_${statusOf(error) ?? 'NETWORK'}`;
        log.error({ roomId: item.roomId, code }, 'retention could not delete a room');
        report.failed.push({ roomId: item.roomId, code });
      }
    }
  }
  return report;
}
