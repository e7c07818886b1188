import { randomUUID } from 'node:crypto';
import { EventType } from '@espace-mineurs/protocol';
import {
  isNotFoundError,
  redactRoomEvent,
  roomEvent,
  roomStateOf,
  threadPage,
  type Homeserver,
} from '../matrix/homeserver.ts';

interface ServedEvent {
  event_id: string;
  type: string;
  state_key?: string;
  content?: Record<string, unknown>;
  unsigned?: { replaces_state?: string; redacted_because?: unknown };
}

export interface TraceReport {
  notes: number;
  notice: boolean;
  /** Superseded versions of the conversation entry redacted. */
  versions: number;
}

async function redact(hs: Homeserver, roomId: string, eventId: string, reason: string): Promise<boolean> {
  try {
    await redactRoomEvent(hs, roomId, eventId, `scrub-${randomUUID()}`, reason);
    return true;
  } catch (error) {
    if (isNotFoundError(error)) return false;
    throw error;
  }
}

async function event(hs: Homeserver, roomId: string, eventId: string): Promise<ServedEvent | undefined> {
  try {
    return await roomEvent<ServedEvent>(hs, roomId, eventId);
  } catch (error) {
    if (isNotFoundError(error)) return undefined;
    throw error;
  }
}

function isRedacted(served: ServedEvent): boolean {
  return Boolean(served.unsigned?.redacted_because);
}

/**
 * Removes what a deleted conversation left in its force's queue room: the agents' notes (the thread under the
 * queue notice), the notice itself (it repeats the triage), and every superseded version of the conversation entry
 * (each holds the triage summary and postal code). Redacted originals are censored by Synapse after
 * `redaction_retention_period`; the words of redacted notes stay in Synapse's search index until a retention purge
 * of the queue room (docs/personal-data.md). The current entry is the engine's: it should rewrite it without
 * `triage` first, so that the version with the triage is a superseded one. Idempotent.
 */
export async function redactQueueTraces(
  hs: Homeserver,
  input: { queueRoomId: string; conversationRoomId: string; queueEventId?: string; reason?: string },
): Promise<TraceReport> {
  const reason = input.reason ?? 'conversation supprimée (durée de conservation écoulée)';
  const report: TraceReport = { notes: 0, notice: false, versions: 0 };
  if (input.queueEventId) {
    let from: string | undefined;
    const notes: string[] = [];
    do {
      const page = await threadPage<ServedEvent>(hs, input.queueRoomId, input.queueEventId, {
        limit: 100,
        ...(from ? { from } : {}),
      });
      for (const note of page.chunk ?? []) if (!isRedacted(note)) notes.push(note.event_id);
      from = page.next_batch;
    } while (from);
    for (const note of notes) if (await redact(hs, input.queueRoomId, note, reason)) report.notes++;
    const notice = await event(hs, input.queueRoomId, input.queueEventId);
    if (notice && !isRedacted(notice)) report.notice = await redact(hs, input.queueRoomId, input.queueEventId, reason);
  }

  report.versions = await redactSupersededVersions(
    hs,
    input.queueRoomId,
    EventType.Conversation,
    input.conversationRoomId,
    reason,
  );
  return report;
}

/**
 * Redacts every superseded version of one state event (walking `unsigned.replaces_state` back from the current
 * one), leaving the current version as it is: the caller rewrites it without personal data first. Returns how many
 * versions it redacted; already redacted ones are skipped, so it is idempotent.
 */
export async function redactSupersededVersions(
  hs: Homeserver,
  roomId: string,
  type: string,
  stateKey: string,
  reason: string,
): Promise<number> {
  const state = await roomStateOf(hs, roomId);
  const current = state.find((candidate) => candidate.type === type && candidate.state_key === stateKey);
  let previous = current?.unsigned?.replaces_state;
  const seen = new Set<string>();
  let redacted = 0;
  while (previous && !seen.has(previous)) {
    seen.add(previous);
    const version = await event(hs, roomId, previous);
    if (!version) break;
    if (!isRedacted(version) && (await redact(hs, roomId, version.event_id, reason))) redacted++;
    previous = version.unsigned?.replaces_state;
  }
  return redacted;
}
