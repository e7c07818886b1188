import type { ConversationEntry } from '@espace-mineurs/protocol';
import type { Me } from './model.ts';

/**
 * When the conversation started waiting: the one place the agent client reads it. Queued and assigned entries
 * always carry `queuedAt`; an ended one may not, and falls back to its opening.
 */
export function waitingSince(entry: ConversationEntry): number {
  return entry.queuedAt ?? entry.createdAt;
}

/** Urgent first, then the longest wait first; the ticket breaks ties so the order never flickers. */
export function compareQueued(a: ConversationEntry, b: ConversationEntry): number {
  if (a.priority !== b.priority) return a.priority === 'urgent' ? -1 : 1;
  return waitingSince(a) - waitingSince(b) || a.ticket - b.ticket;
}

/** Conversations waiting in the agent's own force (never the other force's, never ones that moved away). */
export function waitingQueue(entries: ConversationEntry[], me: Me): ConversationEntry[] {
  return entries
    .filter((entry) => entry.force === me.force && entry.state === 'queued' && !entry.movedTo)
    .sort(compareQueued);
}

/** Conversations assigned to the agent: urgent ones first, then the most recent activity first. */
export function myConversations(
  entries: ConversationEntry[],
  me: Me,
  lastActivity: Map<string, number>,
): ConversationEntry[] {
  return entries
    .filter(
      (entry) =>
        entry.force === me.force && entry.state === 'assigned' && entry.assignee === me.userId && !entry.movedTo,
    )
    .sort((a, b) => {
      if (a.priority !== b.priority) return a.priority === 'urgent' ? -1 : 1;
      return (lastActivity.get(b.roomId) ?? b.claimedAt ?? 0) - (lastActivity.get(a.roomId) ?? a.claimedAt ?? 0);
    });
}

/** Warm transfers offered to this agent (or to their whole force) and not answered yet. */
export function transfersOffered(entries: ConversationEntry[], me: Me): ConversationEntry[] {
  return entries.filter((entry) => {
    const to = entry.pendingTransfer?.to;
    if (!to || entry.state === 'closed' || entry.state === 'abandoned') return false;
    if ('agent' in to) return to.agent === me.userId;
    return to.force === me.force && entry.pendingTransfer?.from !== me.userId;
  });
}

export function isToday(ts: number, now: number): boolean {
  const a = new Date(ts);
  const b = new Date(now);
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

export interface ForceFigures {
  waiting: number;
  urgentWaiting: number;
  /** Milliseconds the longest-waiting conversation has waited; 0 when none. */
  longestWaitMs: number;
  active: number;
  closedToday: number;
  /** Median time from entering the queue to the first agent message, over conversations answered today. */
  medianFirstResponseMs: number | undefined;
  agentsOnDuty: number;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** The supervisor's live figures for one force. */
export function forceFigures(entries: ConversationEntry[], me: Me, now: number, onDuty: number): ForceFigures {
  const own = entries.filter((entry) => entry.force === me.force && !entry.movedTo);
  const waiting = own.filter((entry) => entry.state === 'queued');
  const firstResponses = own
    .filter((entry) => entry.firstAgentMessageAt !== undefined && isToday(entry.firstAgentMessageAt, now))
    .map((entry) => (entry.firstAgentMessageAt ?? 0) - waitingSince(entry))
    .filter((ms) => ms >= 0);
  return {
    waiting: waiting.length,
    urgentWaiting: waiting.filter((entry) => entry.priority === 'urgent').length,
    longestWaitMs: waiting.reduce((longest, entry) => Math.max(longest, now - waitingSince(entry)), 0),
    active: own.filter((entry) => entry.state === 'assigned').length,
    closedToday: own.filter(
      (entry) => entry.state === 'closed' && entry.closedAt !== undefined && isToday(entry.closedAt, now),
    ).length,
    medianFirstResponseMs: median(firstResponses),
    agentsOnDuty: onDuty,
  };
}

/** Active conversations grouped by assignee, for the supervisor view. */
export function activeByAgent(entries: ConversationEntry[], me: Me): Map<string, ConversationEntry[]> {
  const groups = new Map<string, ConversationEntry[]>();
  for (const entry of entries) {
    if (entry.force !== me.force || entry.movedTo || entry.state !== 'assigned' || !entry.assignee) continue;
    const list = groups.get(entry.assignee) ?? [];
    list.push(entry);
    groups.set(entry.assignee, list);
  }
  return groups;
}

export function closedToday(entries: ConversationEntry[], me: Me, now: number): ConversationEntry[] {
  return entries
    .filter(
      (entry) =>
        entry.force === me.force &&
        entry.state === 'closed' &&
        entry.closedAt !== undefined &&
        isToday(entry.closedAt, now),
    )
    .sort((a, b) => (b.closedAt ?? 0) - (a.closedAt ?? 0));
}
