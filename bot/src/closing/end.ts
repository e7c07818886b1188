import { ContentKey, EventType, FORCES, type Outcome, type PublicStatus } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import { startConversationRetention } from '../retention/sweep.ts';
import { TERMINAL, stateOf, type Conversation } from '../state/store.ts';
import { serviceMessage } from '../triage/render.ts';
import { saveEntry } from '../conversation/entry.ts';
import { abandoned, closed } from '../conversation/machine.ts';
import { notifyQueue, say } from '../conversation/messages.ts';
import { writeStatus } from '../conversation/status.ts';
import { OUTCOME_SHORT, postQueueLine, type NoticeOptions } from '../queue/notices.ts';

const RESOURCES =
  'Si tu en as besoin, tu peux toujours appeler le 17 ou le 112 en cas de danger, ou envoyer un SMS au 114. Le 119 ' +
  '(Allô Enfance en danger) et le 3018 (harcèlement et cyberharcèlement) sont gratuits et anonymes. Tu peux revenir ' +
  'sur Espace mineurs quand tu veux.';

/** What the goodbye tells the young person for each outcome (also listed by `!aide`). */
export const OUTCOME_LINE: Record<Outcome, string> = {
  complaint:
    'Pour porter plainte, tu peux aller dans un commissariat ou une gendarmerie, avec un adulte de confiance si tu veux.',
  '119': "Le 119 peut t'aider : appelle-le, c'est gratuit, jour et nuit, et ça n'apparaît pas sur les factures.",
  '3018': "Le 3018 peut t'aider à faire supprimer des contenus et à te protéger en ligne : appelle-le ou écris-lui.",
  school: 'Tu peux en parler à un adulte de confiance de ton établissement : CPE, infirmier ou infirmière, professeur.',
  health: "Un professionnel de santé peut t'aider : ton médecin, l'infirmerie scolaire ou une Maison des adolescents.",
  // True whatever the agent did next: the service itself alerts nobody when a conversation is closed.
  emergency_services:
    "Si tu es en danger, appelle le 17 ou le 112, ou envoie un SMS au 114 : les secours peuvent venir t'aider, jour et nuit.",
  none: '',
};

export type EndResult = { ok: true } | { ok: false; code: 'CONVERSATION_ENDED' };

/** The status of a conversation that ended before reaching a queue (no entry to derive it from). */
async function endUnrouted(
  ctx: Context,
  conversation: Conversation,
  state: 'closed' | 'abandoned',
  at: number,
): Promise<void> {
  const status: PublicStatus = { state, agentJoined: false, updatedAt: at };
  await ctx.matrix.putState(conversation.roomId, EventType.Status, '', status);
  conversation.status = status;
}

/**
 * Closes with an outcome (an agent, or the young person through the API): goodbye with resources. `answer`: the
 * options of the queue room's closing line when that line answers the agent's command (`answering`).
 */
export async function closeConversation(
  ctx: Context,
  conversation: Conversation,
  cause: string,
  at: number,
  actor: string,
  outcome: Outcome,
  answer: NoticeOptions = {},
): Promise<EndResult> {
  const entry = conversation.entry;
  const replay = entry?.lastEvent === cause;
  if (!replay && TERMINAL.has(stateOf(conversation))) return { ok: false, code: 'CONVERSATION_ENDED' };
  // The goodbye goes first: the site stops listening once it sees the closed status, and the young person must
  // read the orientation the agent chose. Its transaction id is stable, so a replay after a crash sends it once.
  const lines = [
    'Cette conversation est terminée. Merci de nous avoir fait confiance.',
    OUTCOME_LINE[outcome],
    RESOURCES,
  ].filter(Boolean);
  // The orientation also travels alone, so the site's end screen can show it without repeating its own words.
  const orientation = OUTCOME_LINE[outcome] ? { [ContentKey.ServiceOrientation]: OUTCOME_LINE[outcome] } : {};
  await say(
    ctx,
    conversation.roomId,
    serviceMessage(lines.join('\n\n'), { [ContentKey.ServiceClosed]: true, ...orientation }),
    cause,
    'goodbye',
  );
  if (entry) {
    if (!replay) {
      await saveEntry(ctx, conversation, closed(entry, { at, outcome, cause }));
    }
    await writeStatus(ctx, conversation, at);
  } else {
    await endUnrouted(ctx, conversation, 'closed', at);
  }
  const forces = entry ? [entry.force] : FORCES;
  if (entry)
    await postQueueLine(
      ctx,
      entry.force,
      `Conversation n°${entry.ticket} clôturée (${OUTCOME_SHORT[outcome]}).`,
      answer,
      cause,
      'closed',
    );
  await ctx.audit.write(forces, cause, {
    actor,
    action: 'close',
    conversation: conversation.roomId,
    at,
    details: { outcome },
  });
  await startConversationRetention(ctx, conversation, at);
  await dismissStaff(ctx, conversation);
  return { ok: true };
}

/**
 * Takes the agents (and any supervisor) out of an ended conversation. Synapse forgets a room for a user who
 * leaves it (forget_rooms_on_leave), so its history is no longer readable from their account: reading a closed
 * conversation then goes through the audited `supervise` command. Idempotent (kick skips non-members).
 */
async function dismissStaff(ctx: Context, conversation: Conversation): Promise<void> {
  const state = await ctx.matrix.roomState(conversation.roomId);
  for (const event of state) {
    if (event.type !== 'm.room.member' || typeof event.state_key !== 'string') continue;
    const userId = event.state_key;
    const membership = (event.content as { membership?: unknown } | undefined)?.membership;
    if (ctx.matrix.isOwn(userId) || userId === conversation.guest) continue;
    if (membership !== 'join' && membership !== 'invite') continue;
    await ctx.matrix.kick(conversation.roomId, userId, 'Conversation terminée');
  }
}

/** The young person left, or stayed silent too long in triage or in the queue. */
export async function abandonConversation(
  ctx: Context,
  conversation: Conversation,
  cause: string,
  at: number,
  reason: 'left' | 'silence',
): Promise<void> {
  const entry = conversation.entry;
  const replay = entry?.lastEvent === cause;
  if (!replay && TERMINAL.has(stateOf(conversation))) return;
  if (entry) {
    if (!replay) {
      await saveEntry(ctx, conversation, abandoned(entry, { at, cause }));
    }
    await writeStatus(ctx, conversation, at);
    const why = reason === 'left' ? 'le jeune est parti' : 'sans nouvelles du jeune';
    await notifyQueue(ctx, entry.force, `Conversation n°${entry.ticket} abandonnée (${why}).`, cause, 'abandoned');
  } else {
    await endUnrouted(ctx, conversation, 'abandoned', at);
  }
  if (reason === 'silence') {
    await say(
      ctx,
      conversation.roomId,
      serviceMessage(`Nous n'avons plus de nouvelles, alors cette conversation se termine. ${RESOURCES}`),
      cause,
      'silence',
    );
  }
  await ctx.audit.write(entry ? [entry.force] : FORCES, cause, {
    actor: reason === 'left' ? conversation.guest : ctx.matrix.userId,
    action: 'abandon',
    conversation: conversation.roomId,
    at,
    details: { reason },
  });
  await startConversationRetention(ctx, conversation, at);
  await dismissStaff(ctx, conversation);
}
