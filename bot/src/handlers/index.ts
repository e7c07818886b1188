import { handleQueueRoomEvent } from '../commands/index.ts';
import type { Context } from '../runtime/context.ts';
import type { RawEvent } from '../matrix/client.ts';
import type { SyncBatch } from '../matrix/sync.ts';
import { handleYouthRoomEvent } from './youth-room.ts';

const ATTEMPTS = 3;

async function withRetries(ctx: Context, event: RawEvent, task: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await task();
      ctx.metrics.handledEvents.inc();
      return;
    } catch (error) {
      if (attempt >= ATTEMPTS) {
        // Giving up on one event must not stop every other conversation; the failure is counted and logged.
        ctx.metrics.handlerFailures.inc();
        ctx.log.error({ eventId: event.event_id, type: event.type, err: (error as Error).message }, 'handler failed');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}

function route(ctx: Context, roomId: string, event: RawEvent): Promise<void> | undefined {
  const force = ctx.store.forceOfQueueRoom(roomId);
  if (force) return handleQueueRoomEvent(ctx, force, event);
  const conversation = ctx.store.conversations.get(roomId);
  if (conversation) return handleYouthRoomEvent(ctx, conversation, event);
  return undefined;
}

/**
 * Handles one sync batch. Every handler is started in timeline order and takes its conversation's lock
 * synchronously, so events about one conversation apply in Synapse's order (the first of two claims wins)
 * while different conversations proceed in parallel. Resolves when all are done; only then is the sync
 * position saved.
 */
export async function handleBatch(ctx: Context, batch: SyncBatch, seen: Set<string>): Promise<void> {
  const running: Promise<void>[] = [];
  for (const [roomId, events] of batch) {
    for (const event of events) {
      if (seen.has(event.event_id)) continue;
      seen.add(event.event_id);
      const task = withRetries(ctx, event, () => route(ctx, roomId, event) ?? Promise.resolve());
      running.push(task);
    }
  }
  if (seen.size > 20_000) {
    const keep = [...seen].slice(-10_000);
    seen.clear();
    for (const id of keep) seen.add(id);
  }
  await Promise.all(running);
}
