import { otherForce } from '@espace-mineurs/protocol';
import { saveEntry } from '../conversation/entry.ts';
import { guestEnded, transferDropped } from '../conversation/machine.ts';
import { abandonConversation } from '../closing/end.ts';
import { forgetEndedCoolDowns } from '../closing/cool-down.ts';
import { expireDisclosures } from '../disclosure/records.ts';
import { announceQueued } from '../queue/enqueue.ts';
import { notifyQueue } from '../conversation/messages.ts';
import { commitMove } from '../queue/move.ts';
import { withConversation, type Context } from '../runtime/context.ts';
import { shouldOverflow } from '../routing/policy.ts';
import { sweepConversationRetention } from '../retention/sweep.ts';
import { endGuestAccount } from '../closing/guest-account.ts';
import { refreshStaff } from '../state/rebuild.ts';
import { TERMINAL, isRouted, stateOf, type Conversation } from '../state/store.ts';

const STAFF_REFRESH_MS = 60_000;

const endedGuests = new WeakMap<Context, Set<string>>();

async function sweepOne(ctx: Context, conversation: Conversation, now: number): Promise<void> {
  const { timeouts } = ctx.config;
  const state = stateOf(conversation);
  const entry = conversation.entry;
  const silentFor = (now - conversation.lastGuestActivity) / 1000;
  if (state === 'triage' && silentFor > timeouts.triageSilence) {
    await abandonConversation(
      ctx,
      conversation,
      `silence:${conversation.roomId}:${conversation.lastGuestActivity}`,
      now,
      'silence',
    );
    return;
  }
  if (entry?.state === 'queued' && isRouted(conversation)) {
    const waited = (now - entry.queuedAt) / 1000;
    if (silentFor > timeouts.queueSilence && waited > timeouts.queueSilence) {
      await abandonConversation(
        ctx,
        conversation,
        `silence:${conversation.roomId}:${conversation.lastGuestActivity}`,
        now,
        'silence',
      );
      return;
    }
    const other = otherForce(entry.force);
    if (
      shouldOverflow({
        waitedSeconds: waited,
        limitSeconds: timeouts.overflow,
        alreadyMoved: entry.previousForce !== undefined,
        // Not store.load(other): it counts every conversation held by each agent (10,000 past ones included),
        // and a sweep (every 5 s) asks once per queued conversation: with 800 queued and 10,000 past, 1 s a sweep.
        other: { onDuty: ctx.store.agentsOnDuty(other).length },
      })
    ) {
      const cause = `overflow:${conversation.roomId}:${entry.force}`;
      const from = entry.force;
      await commitMove(ctx, conversation, cause, other, { state: 'queued' });
      await announceQueued(
        ctx,
        conversation,
        conversation.entry,
        cause,
        `Débordement depuis la ${from === 'police' ? 'police' : 'gendarmerie'} : conversation`,
      );
      await notifyQueue(
        ctx,
        from,
        `Conversation n°${entry.ticket} confiée à l'autre force (attente trop longue).`,
        cause,
        'overflow',
      );
      await ctx.audit.write([from, other], cause, {
        actor: ctx.matrix.userId,
        action: 'overflow',
        conversation: conversation.roomId,
        at: now,
        details: { from, to: other },
      });
    }
  }
  if (entry?.pendingTransfer && (now - entry.pendingTransfer.offeredAt) / 1000 > timeouts.warmTransfer) {
    await saveEntry(ctx, conversation, transferDropped(entry));
    const cause = `transfer-timeout:${conversation.roomId}:${entry.pendingTransfer.offeredAt}`;
    await notifyQueue(ctx, entry.force, `Transfert de la conversation n°${entry.ticket} sans réponse : annulé.`, cause);
    await ctx.audit.write([entry.force], cause, {
      actor: ctx.matrix.userId,
      action: 'transfer_withdrawn',
      conversation: conversation.roomId,
      at: now,
    });
  }
  if (TERMINAL.has(state)) {
    const endedAt = entry?.closedAt ?? conversation.status?.updatedAt ?? now;
    const ended = endedGuests.get(ctx) ?? new Set<string>();
    endedGuests.set(ctx, ended);
    if (
      entry?.guestEndedAt !== undefined ||
      ended.has(conversation.guest) ||
      (now - endedAt) / 1000 < timeouts.guestGrace
    )
      return;
    // A newer conversation of the same guest (impossible once locked, but be strict) keeps the account alive.
    if (ctx.store.latestByGuest.get(conversation.guest) !== conversation.roomId) return;
    // Locked first, then deactivated with erasure; never unlocked.
    await endGuestAccount(ctx.matrix, conversation.guest);
    ended.add(conversation.guest);
    ctx.store.addressOf.delete(conversation.guest);
    if (conversation.entry) await saveEntry(ctx, conversation, guestEnded(conversation.entry, now));
    await ctx.audit.write(entry ? [entry.force] : ['police', 'gendarmerie'], `guest-ended:${conversation.guest}`, {
      actor: ctx.matrix.userId,
      action: 'guest_ended',
      conversation: conversation.roomId,
      at: now,
    });
  }
}

/** Checks silence, overflow, unanswered transfers and guest accounts to end, every few seconds. */
export function startSweeper(ctx: Context): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let staffReadAt = ctx.now();
  let retentionAt = 0;
  let retention: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    const now = ctx.now();
    if (now - staffReadAt > STAFF_REFRESH_MS) {
      staffReadAt = now;
      // Staff removed or demoted while the bot runs (active: false) stop being obeyed within a minute.
      void refreshStaff(ctx).catch((error: unknown) =>
        ctx.log.warn({ err: (error as Error).message }, 'could not refresh staff'),
      );
    }
    if (!retention && now - retentionAt >= ctx.config.retention.sweepInterval * 1000) {
      retentionAt = now;
      // Deleting rooms is slow: it runs beside the timeouts, never blocking them.
      retention = sweepConversationRetention(ctx)
        .catch((error: unknown) => {
          ctx.log.warn({ err: (error as Error).message }, 'retention sweep failed');
          return 1;
        })
        .then((failures) => ctx.metrics.recordRetentionSweep(failures, ctx.now()))
        .then(() => {
          retention = undefined;
        });
    }
    running = Promise.all(
      [...ctx.store.conversations.values()].map((conversation) =>
        withConversation(ctx, conversation.roomId, () => sweepOne(ctx, conversation, now)).catch((error: unknown) =>
          ctx.log.warn({ roomId: conversation.roomId, err: (error as Error).message }, 'sweep failed'),
        ),
      ),
    )
      .then(() => expireDisclosures(ctx, now))
      .then(() => forgetEndedCoolDowns(ctx, now))
      .catch((error: unknown) => ctx.log.warn({ err: (error as Error).message }, 'disclosure expiry failed'))
      .then(() => {
        running = undefined;
      });
  }, ctx.config.timeouts.sweepInterval * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await retention;
    },
  };
}
