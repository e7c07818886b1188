import type { ConversationEntry } from '@espace-mineurs/protocol';
import type { Me } from './model.ts';

export type OpenDecision =
  { open: true } | { open: false; reason: 'OTHER_FORCE' | 'MOVED' | 'NOT_ASSIGNED' | 'NOT_JOINED' };

/**
 * Whether this client offers to open a conversation. The bot and Synapse are the real fence (the agent is only
 * ever invited to rooms it was given); this keeps the client from even offering the other force's
 * conversations, or a colleague's, unless a transfer made them ours.
 */
export function canOpen(entry: ConversationEntry, me: Me, joined: Set<string>): OpenDecision {
  if (entry.force !== me.force) return { open: false, reason: 'OTHER_FORCE' };
  if (entry.movedTo && entry.movedTo !== me.force) return { open: false, reason: 'MOVED' };
  const mine = entry.assignee === me.userId;
  if (!mine && me.role !== 'supervisor') return { open: false, reason: 'NOT_ASSIGNED' };
  if (!joined.has(entry.roomId)) return { open: false, reason: 'NOT_JOINED' };
  return { open: true };
}

/** Whether a supervisor can ask to join (the supervise command) rather than open directly. */
export function canSupervise(entry: ConversationEntry, me: Me, joined: Set<string>): boolean {
  return (
    me.role === 'supervisor' &&
    entry.force === me.force &&
    !entry.movedTo &&
    entry.state === 'assigned' &&
    !joined.has(entry.roomId)
  );
}

/** Which bot invitations the client accepts by itself: only conversations of its force that concern this agent. */
export function shouldAutoJoin(entry: ConversationEntry | undefined, me: Me): boolean {
  if (!entry || entry.force !== me.force || entry.movedTo) return false;
  if (entry.state === 'closed' || entry.state === 'abandoned') return false;
  if (entry.assignee === me.userId) return true;
  const to = entry.pendingTransfer?.to;
  if (to && 'agent' in to && to.agent === me.userId) return true;
  return me.role === 'supervisor';
}
