import type { ConversationEntry } from '@espace-mineurs/protocol';
import { commandRefusalText, commandResultText } from './labels.ts';
import { pendingState, type PendingCommand } from './commands.ts';

/**
 * Refusals whose remedy is a control on this screen, said by naming that control. The bot's own sentence is
 * written for text clients (« !service N ») and would send an agent looking for a command line that this client
 * does not have.
 */
const ON_SCREEN_REMEDY: Record<string, string> = {
  AT_CAPACITY:
    'Vous avez atteint votre nombre maximum de conversations. Clôturez-en une, ou augmentez « Capacité » en haut du menu.',
  NOT_ON_DUTY: 'Passez « En service » avec le bouton en haut du menu pour prendre une conversation.',
};

/** The control of this client that does what a text command of the bot does. */
const CONTROL_FOR: Record<string, string> = {
  service: '« Capacité » et « En service » en haut du menu',
  prendre: 'le bouton « Prendre »',
  clore: 'le bouton « Clôturer »',
  transferer: 'le bouton « Transférer »',
  accepter: 'le bouton « Accepter »',
  refuser: 'le bouton « Refuser »',
  danger: 'le bouton « Danger »',
  levee: "le bouton « Demander la levée d'anonymat »",
  'retirer-levee': 'le bouton « Retirer ma demande »',
  'approuver-levee': 'le bouton « Approuver »',
  'refuser-levee': 'le bouton « Refuser »',
  conserver: 'le bouton « Conservation judiciaire »',
  exporter: 'le bouton « Exporter »',
  superviser: 'le bouton « Rejoindre »',
};

/** A text command and its arguments, up to the end of its sentence or parenthesis: « !retirer-levee 12 d-3 ». */
const TEXT_COMMAND = /!([a-zà-ÿ-]+)[^.()\n«»]*/gi;

/**
 * The bot's sentence with each text command replaced by the control that does the same here; undefined when
 * one has no control in this client (the caller then falls back to its own words for the code).
 */
export function onScreenWording(message: string): string | undefined {
  let unknown = false;
  const text = message.replace(TEXT_COMMAND, (_match, name: string) => {
    const control = CONTROL_FOR[name.toLowerCase()];
    if (!control) unknown = true;
    return control ? `${control} ` : '';
  });
  return unknown ? undefined : text.replace(/\s+([.)])/g, '$1').trim();
}

/** What to tell the agent about a command's answer, naming on-screen controls rather than text commands. */
export function feedbackText(result: PendingCommand['result']): string {
  if (!result) return '';
  if (!result.ok && result.code && ON_SCREEN_REMEDY[result.code]) return ON_SCREEN_REMEDY[result.code] ?? '';
  if (result.message && new RegExp(TEXT_COMMAND.source, 'i').test(result.message)) {
    return onScreenWording(result.message) ?? (result.ok ? 'Fait.' : commandRefusalText(result.code));
  }
  return commandResultText(result);
}

/** Refusals that changing one's duty or capacity resolves. */
const DUTY_CODES = new Set(['AT_CAPACITY', 'NOT_ON_DUTY']);

/**
 * Which tracked commands still need the agent's eyes (the strip above the screen): successes speak for
 * themselves, and so does a request the service is still quickly answering; a refusal or failure goes away once resolved — the same request sent again later (whatever its
 * answer, the newer one is what matters), the conversation a refused claim was about now ours, or the duty a
 * capacity refusal was about changed since.
 */
export function visibleFeedback(
  commands: PendingCommand[],
  now: number,
  context: { mine: ConversationEntry[] },
): PendingCommand[] {
  const mine = new Set(context.mine.map((entry) => entry.roomId));
  return commands
    .filter((command, index) => {
      const state = pendingState(command, now);
      // Waiting is said beside the button that asked; the strip shows it only once the service is slow, so a
      // quick answer never makes the screen jump under the agent's pointer.
      if (state === 'done' || state === 'waiting') return false;
      const later = commands.slice(index + 1);
      if (
        later.some(
          (next) =>
            next.action === command.action &&
            next.conversation === command.conversation &&
            next.disclosure === command.disclosure,
        )
      )
        return false;
      if (command.action === 'claim' && command.conversation && mine.has(command.conversation)) return false;
      const code = command.result?.code;
      if (
        code &&
        DUTY_CODES.has(code) &&
        later.some((next) => next.action === 'duty' && pendingState(next, now) === 'done')
      )
        return false;
      return true;
    })
    .slice(-4);
}
