import { EventType, type Force, type PublicStatus } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import { mapLimited } from '../runtime/locks.ts';
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

/** Writes the public status when it changed (and supersedes one held back by writeStatusSettled). */
export async function writeStatus(ctx: Context, conversation: Conversation, at: number): Promise<void> {
  const held = settlingOf(ctx);
  clearTimeout(held.get(conversation.roomId));
  held.delete(conversation.roomId);
  const status = publicStatus(ctx, conversation, at);
  if (same(conversation.status, status)) return;
  await ctx.matrix.putState(conversation.roomId, EventType.Status, '', status);
  conversation.status = status;
}

const settling = new WeakMap<Context, Map<string, ReturnType<typeof setTimeout>>>();

function settlingOf(ctx: Context): Map<string, ReturnType<typeof setTimeout>> {
  let held = settling.get(ctx);
  if (!held) settling.set(ctx, (held = new Map()));
  return held;
}

/** How long the status after an assignment waits for the agent's join. */
export const SETTLE_MS = 1500;

/**
 * After a claim the agent usually joins a moment later. The young person is told at once (the "someone is
 * coming" message), and the status waits SETTLE_MS so that "assigned" and "joined" are one event instead of
 * two: the join's own write (or any other) supersedes it. A kill in between leaves the room's status behind the
 * entry; the start puts it right (reconcileStatus).
 */
export function writeStatusSettled(ctx: Context, conversation: Conversation, delayMs = SETTLE_MS): void {
  const held = settlingOf(ctx);
  if (held.has(conversation.roomId)) return;
  held.set(
    conversation.roomId,
    setTimeout(() => {
      held.delete(conversation.roomId);
      void ctx.locks
        .run(`conversation:${conversation.roomId}`, () => writeStatus(ctx, conversation, ctx.now()))
        .catch((error: unknown) =>
          ctx.log.warn({ roomId: conversation.roomId, err: (error as Error).message }, 'could not write a status'),
        );
    }, delayMs).unref(),
  );
}

/**
 * At start: a status the room shows that disagrees with the entry on what the young person is told (state,
 * force, someone joined, who) is written again, e.g. one held back for a join when the bot was killed. Queue
 * positions alone are left to their own refresh.
 */
export async function reconcileStatus(ctx: Context, conversation: Conversation): Promise<void> {
  const wanted = publicStatus(ctx, conversation, ctx.now());
  const shown = conversation.status;
  const told = (status: PublicStatus | undefined) =>
    status ? [status.state, status.force, status.agentJoined, status.agentPseudonym].join('|') : '';
  if (told(shown) !== told(wanted)) await writeStatus(ctx, conversation, ctx.now());
}

/** How many queue-position writes one force's refresh has in flight at once. */
export const POSITION_WRITES_IN_FLIGHT = 4;

/** One force's position refresh: waiting to start, running, or asked for again while running. */
interface PositionRefresh {
  timer?: ReturnType<typeof setTimeout>;
  running: boolean;
  again: boolean;
  cancelled: boolean;
}

const refreshes = new WeakMap<Context, Map<Force, PositionRefresh>>();

function refreshOf(ctx: Context, force: Force): PositionRefresh {
  let byForce = refreshes.get(ctx);
  if (!byForce) refreshes.set(ctx, (byForce = new Map()));
  let refresh = byForce.get(force);
  if (!refresh) byForce.set(force, (refresh = { running: false, again: false, cancelled: false }));
  return refresh;
}

/**
 * Queue positions move whenever anyone is claimed; rewriting every waiting room each time would cost a state
 * event per room per claim, so positions are refreshed a moment later, once for a burst of changes.
 *
 * One refresh runs at a time per force, from the front of the queue, with POSITION_WRITES_IN_FLIGHT writes at
 * once: with 800 waiting, an unbounded refresh was 800 concurrent writes, and a claim's own (the young person's
 * "someone is coming", the invitation) waited behind them at the homeserver. A change during a refresh asks for
 * one more after it; each write reads the position when it is made, so none is stale when written.
 */
export function refreshPositionsSoon(ctx: Context, force: Force, delayMs = 5000): void {
  const refresh = refreshOf(ctx, force);
  if (refresh.running) {
    refresh.again = true;
    return;
  }
  if (refresh.timer) return;
  refresh.timer = setTimeout(() => {
    refresh.timer = undefined;
    void refreshPositions(ctx, force, refresh, delayMs);
  }, delayMs).unref();
}

async function refreshPositions(ctx: Context, force: Force, refresh: PositionRefresh, delayMs: number) {
  refresh.running = true;
  refresh.again = false;
  try {
    await mapLimited(ctx.store.queued(force), POSITION_WRITES_IN_FLIGHT, async (conversation) => {
      if (refresh.cancelled) return;
      await ctx.locks
        .run(`conversation:${conversation.roomId}`, async () => {
          // Only a new position is worth a state event; the estimate alone is refreshed with it.
          const place = ctx.store.queuePosition(conversation, ctx.config.defaultWaitSeconds);
          if (place && place.position !== conversation.status?.position)
            await writeStatus(ctx, conversation, ctx.now());
        })
        .catch((error: unknown) =>
          ctx.log.warn(
            { roomId: conversation.roomId, err: (error as Error).message },
            'could not refresh a queue position',
          ),
        );
    });
  } finally {
    refresh.running = false;
    if (refresh.again && !refresh.cancelled) refreshPositionsSoon(ctx, force, delayMs);
  }
}

/** At stop: positions and held-back statuses are dropped (the start reconciles what matters). */
export function cancelPositionRefreshes(ctx: Context): void {
  for (const refresh of refreshes.get(ctx)?.values() ?? []) {
    clearTimeout(refresh.timer);
    refresh.cancelled = true;
  }
  refreshes.delete(ctx);
  const held = settlingOf(ctx);
  for (const timer of held.values()) clearTimeout(timer);
  held.clear();
}
