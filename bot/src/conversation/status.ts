import { EventType, type PublicStatus } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import { stateOf, type Conversation } from '../state/store.ts';

/** What the young person may see: state, queue position, force, whether someone joined, by pseudonym only. */
export function publicStatus(ctx: Context, conversation: Conversation, at: number): PublicStatus {
  const state = stateOf(conversation);
  const entry = conversation.entry;
  const status: PublicStatus = { state, agentJoined: false, updatedAt: at };
  if (entry && state !== 'triage') status.force = entry.force;
  if (state === 'queued') {
    const place = ctx.store.queuePosition(conversation, ctx.config.defaultWaitSeconds);
    if (place) Object.assign(status, place);
  }
  if (state === 'assigned' && entry?.assignee) {
    status.agentJoined = conversation.agentJoined === true;
    const pseudonym = ctx.store.staff.get(entry.assignee)?.pseudonym;
    if (pseudonym) status.agentPseudonym = pseudonym;
  }
  return status;
}

function same(a: PublicStatus | undefined, b: PublicStatus): boolean {
  if (!a) return false;
  const { updatedAt: _a, ...left } = a;
  const { updatedAt: _b, ...right } = b;
  return JSON.stringify(left, Object.keys(left).sort()) === JSON.stringify(right, Object.keys(right).sort());
}

/** Writes the public status when it changed. */
export async function writeStatus(ctx: Context, conversation: Conversation, at: number): Promise<void> {
  const status = publicStatus(ctx, conversation, at);
  if (same(conversation.status, status)) return;
  await ctx.matrix.putState(conversation.roomId, EventType.Status, '', status);
  conversation.status = status;
}

const timers = new WeakMap<Context, Map<string, ReturnType<typeof setTimeout>>>();

function pendingOf(ctx: Context): Map<string, ReturnType<typeof setTimeout>> {
  let pending = timers.get(ctx);
  if (!pending) timers.set(ctx, (pending = new Map()));
  return pending;
}

/**
 * Queue positions move whenever anyone is claimed; rewriting every waiting room each time would cost a state
 * event per room per claim, so positions are refreshed a moment later, once for a burst of changes.
 */
export function refreshPositionsSoon(ctx: Context, force: string, delayMs = 5000): void {
  const pending = pendingOf(ctx);
  if (pending.has(force)) return;
  pending.set(
    force,
    setTimeout(() => {
      pending.delete(force);
      for (const conversation of ctx.store.queued(force as 'police' | 'gendarmerie')) {
        void ctx.locks
          .run(`conversation:${conversation.roomId}`, async () => {
            // Only a new position is worth a state event; the estimate alone is refreshed with it.
            const place = ctx.store.queuePosition(conversation, ctx.config.defaultWaitSeconds);
            if (place && place.position !== conversation.status?.position) await writeStatus(ctx, conversation, ctx.now());
          })
          .catch((error: unknown) => ctx.log.warn({ roomId: conversation.roomId, err: (error as Error).message }, 'could not refresh a queue position'));
      }
    }, delayMs).unref(),
  );
}

export function cancelPositionRefreshes(ctx: Context): void {
  const pending = pendingOf(ctx);
  for (const timer of pending.values()) clearTimeout(timer);
  pending.clear();
}
