import {
  DISCLOSURE_REASON,
  FORCES,
  LEGAL_HOLD_REASON,
  type Command,
  type CommandAction,
  type Force,
  type Outcome,
} from '@espace-mineurs/protocol';
import { close } from '../closing/close.ts';
import { OUTCOME_LINE } from '../closing/end.ts';
import { mineList, queueList } from './lists.ts';
import { supervise } from '../conversation/supervise.ts';
import { disclosureDecision, disclosureRequest, disclosureWithdraw } from '../disclosure/commands.ts';
import { exportCommand } from '../export/command.ts';
import { claim } from '../queue/claim.ts';
import { duty } from '../queue/duty.ts';
import { flagDanger } from '../queue/flag-danger.ts';
import { acceptTransfer, declineTransfer } from '../queue/transfer-answer.ts';
import { transfer } from '../queue/transfer.ts';
import { legalHold } from '../retention/legal-hold.ts';
import type { CommandOutcome, Invocation } from './types.ts';

/**
 * Every command the bot obeys in a force's queue room, in one table: who may send it, how it runs, and its text
 * forms for Element (verbs, French help line, parser). `!aide`, the text parser (parse-text.ts) and the role check
 * of the dispatcher (index.ts) are derived from it, so adding a command is one entry here (and its action in
 * protocol/src/commands.ts: the table is typed over every action, a missing entry does not compile).
 */

export type CommandOf<A extends CommandAction> = Extract<Command, { action: A }>;

/** What a text form's parser may return: a command without its request id, or a French explanation. */
export type Parsed = { command: DistributiveOmit<Command, 'requestId'> } | { error: string };
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A mention pill in the message (Element): the user it links to and the text shown for it (their name). */
export interface Mention {
  userId: string;
  text: string;
}

export interface TextTools {
  /** The conversation named by a ticket word ("12", "n°12", "#12"), or the French reason it names none. */
  room(word: string | undefined): { roomId: string } | { error: string };
  /** The pills of the message (`formatted_body` links, `m.mentions`), in order. */
  mentions: readonly Mention[];
  /** Active staff of the sender's force with this pseudonym (compared without case or accents). */
  colleagues(pseudonym: string): string[];
}

/** Lower case, without accents: how verbs, modes, outcomes and names are compared. */
export function fold(word: string): string {
  return word
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

export interface TextForm {
  /** Verbs after "!", without accents, lower case; the first is the one the help names. */
  verbs: readonly string[];
  /** The line of `!aide`; a form without one is described by the line of the form before it. */
  help?: string;
  parse(args: readonly string[], verb: string, tools: TextTools): Parsed;
}

export interface CommandSpec<A extends CommandAction> {
  /**
   * `supervisor`: the dispatcher refuses anyone else (NOT_SUPERVISOR) before running it, unless `roleCheckedBy`
   * is `rules`: then the feature's own rules order the refusals (a requester deciding their own request is told
   * OWN_REQUEST before NOT_SUPERVISOR) and the role stays a statement for `!aide` and readers.
   */
  roles: 'staff' | 'supervisor';
  roleCheckedBy?: 'rules';
  run(invocation: Invocation, command: CommandOf<A>): Promise<CommandOutcome>;
  text: readonly TextForm[];
}

const OUTCOME_WORDS: Record<string, Outcome> = {
  plainte: 'complaint',
  '119': '119',
  '3018': '3018',
  ecole: 'school',
  école: 'school',
  sante: 'health',
  santé: 'health',
  secours: 'emergency_services',
  aucune: 'none',
  aucun: 'none',
};

/** Transfer modes as typed (the first of each is the one the help names). */
const TRANSFER_MODES: Record<string, 'warm' | 'cold'> = { chaud: 'warm', froid: 'cold' };

type TransferTo = Extract<Command, { action: 'transfer' }>['to'];

/**
 * Who a transfer names: a force, a Matrix ID, an Element pill (its text is the name the body shows), or the
 * pseudonym of a colleague of the same force. `loose`: a single pill stands for the target whatever its text.
 */
function transferTarget(words: string, tools: TextTools, loose: boolean): TransferTo | { error: string } | undefined {
  const folded = fold(words.trim());
  const force = (FORCES as readonly string[]).find((candidate) => candidate === folded);
  if (force) return { force: force as Force };
  if (/^@[^:\s]+:\S+$/.test(words.trim())) return { agent: words.trim() };
  const pill = tools.mentions.filter(
    (mention) => fold(mention.text.replace(/^@/, '')) === folded.replace(/^@/, '') && mention.text !== '',
  );
  if (pill.length > 0) return { agent: pill[0]!.userId };
  if (loose && tools.mentions.length === 1) return { agent: tools.mentions[0]!.userId };
  const named = tools.colleagues(words.trim().replace(/^@/, ''));
  if (named.length === 1) return { agent: named[0]! };
  if (named.length > 1)
    return {
      error: `Plusieurs collègues portent le pseudonyme « ${words.trim()} » : mentionnez la bonne personne ou donnez son @identifiant:serveur.`,
    };
  return undefined;
}

/** The outcome words `!aide` explains, in the order it names them. */
const OUTCOME_HELP: ReadonlyArray<readonly [string, Outcome]> = [
  ['plainte', 'complaint'],
  ['119', '119'],
  ['3018', '3018'],
  ['ecole', 'school'],
  ['sante', 'health'],
  ['secours', 'emergency_services'],
  ['aucune', 'none'],
];

/** A form whose only argument is the ticket. */
function onTicket(
  verbs: readonly string[],
  help: string | undefined,
  build: (conversation: string) => DistributiveOmit<Command, 'requestId'>,
): TextForm {
  return {
    verbs,
    ...(help ? { help } : {}),
    parse: (args, _verb, tools) => {
      const room = tools.room(args[0]);
      return 'error' in room ? room : { command: build(room.roomId) };
    },
  };
}

/** A form with a ticket and more: `build` checks the rest before the ticket is resolved (as the help reads). */
function withTicket(
  verbs: readonly string[],
  help: string | undefined,
  build: (
    args: readonly string[],
    verb: string,
    tools: TextTools,
  ) => ((conversation: string) => DistributiveOmit<Command, 'requestId'>) | { error: string },
): TextForm {
  return {
    verbs,
    ...(help ? { help } : {}),
    parse: (args, verb, tools) => {
      const next = build(args, verb, tools);
      if (typeof next !== 'function') return next;
      const room = tools.room(args[0]);
      return 'error' in room ? room : { command: next(room.roomId) };
    },
  };
}

export const COMMANDS: { readonly [A in CommandAction]: CommandSpec<A> } = {
  duty: {
    roles: 'staff',
    run: (invocation, command) => duty(invocation, command.onDuty, command.capacity),
    text: [
      {
        verbs: ['service', 'dispo'],
        help: '!service [capacité] — je prends mon service (3 conversations à la fois par défaut)',
        parse: (args) => {
          if (args[0] === 'off') return { command: { action: 'duty', onDuty: false } };
          const capacityWord = args[0] === 'on' ? args[1] : args[0];
          if (capacityWord === undefined) return { command: { action: 'duty', onDuty: true } };
          const capacity = Number(capacityWord);
          if (!Number.isInteger(capacity) || capacity < 1 || capacity > 10)
            return { error: 'La capacité est un nombre de 1 à 10.' };
          return { command: { action: 'duty', onDuty: true, capacity } };
        },
      },
      {
        verbs: ['pause', 'fin'],
        help: '!pause — je quitte mon service (mes conversations retournent en file)',
        parse: () => ({ command: { action: 'duty', onDuty: false } }),
      },
    ],
  },
  claim: {
    roles: 'staff',
    run: (invocation, command) => claim(invocation, command.conversation),
    text: [
      onTicket(['prendre'], '!prendre N — je prends la conversation n°N', (conversation) => ({
        action: 'claim',
        conversation,
      })),
    ],
  },
  transfer: {
    roles: 'staff',
    run: (invocation, command) => transfer(invocation, command),
    text: [
      withTicket(
        ['transferer'],
        '!transferer N collègue|police|gendarmerie [chaud|froid] — transférer (froid par défaut) ; collègue : @agent:serveur, mention, ou pseudonyme dans votre force',
        (args, _verb, tools) => {
          const words = args.slice(1);
          const targetError = {
            error:
              'Indiquez à qui transférer : police, gendarmerie, un collègue mentionné, son @identifiant:serveur ou son pseudonyme (dans votre force).',
          };
          if (words.length === 0) return targetError;
          const last = fold(words[words.length - 1]!);
          const build = (to: TransferTo | { error: string }, mode: 'warm' | 'cold') =>
            'error' in to ? to : (conversation: string) => ({ action: 'transfer' as const, conversation, to, mode });
          const mode = TRANSFER_MODES[last];
          if (mode && words.length > 1)
            return build(transferTarget(words.slice(0, -1).join(' '), tools, true) ?? targetError, mode);
          // No mode word last: the whole rest may be one name (a pseudonym with a space)…
          const whole = transferTarget(words.join(' '), tools, words.length === 1);
          if (whole) return build(whole, 'cold');
          // …or a target followed by a mistyped mode, refused rather than guessed (a typo never makes a cold transfer).
          if (words.length > 1 && transferTarget(words.slice(0, -1).join(' '), tools, true)) {
            return {
              error: `Mode de transfert inconnu : « ${words[words.length - 1]} ». Modes possibles : ${Object.keys(TRANSFER_MODES).join(', ')} (froid si rien n'est indiqué).`,
            };
          }
          return targetError;
        },
      ),
    ],
  },
  transfer_accept: {
    roles: 'staff',
    run: (invocation, command) => acceptTransfer(invocation, command.conversation),
    text: [
      onTicket(['accepter'], '!accepter N / !refuser N — répondre à un transfert', (conversation) => ({
        action: 'transfer_accept',
        conversation,
      })),
    ],
  },
  transfer_decline: {
    roles: 'staff',
    run: (invocation, command) => declineTransfer(invocation, command.conversation),
    text: [
      withTicket(['refuser'], undefined, (args) => (conversation) => ({
        action: 'transfer_decline',
        conversation,
        ...(args.length > 1 ? { reason: args.slice(1).join(' ').slice(0, 500) } : {}),
      })),
    ],
  },
  close: {
    roles: 'staff',
    run: (invocation, command) => close(invocation, command.conversation, command.outcome, command.coolDownMinutes),
    text: [
      withTicket(
        ['clore', 'fermer'],
        [
          '!clore N issue [minutes] — clore ; issue : plainte, 119, 3018, ecole, sante, secours, aucune ; avec des minutes, pas de nouvelle conversation de ce jeune ni de son adresse pendant ce temps. Ce que lit le jeune selon l’issue (avec les numéros utiles et « Tu peux revenir quand tu veux ») :',
          ...OUTCOME_HELP.map(([word, outcome]) => `    ${word} : « ${OUTCOME_LINE[outcome] || 'rien de plus'} »`),
        ].join('\n'),
        (args) => {
          const outcome = OUTCOME_WORDS[fold(args[1] ?? '')];
          if (!outcome)
            return {
              error: `Indiquez l'issue : ${Object.keys(OUTCOME_WORDS)
                .filter((word) => !/[éè]/.test(word) && word !== 'aucun')
                .join(', ')}.`,
            };
          const minutesWord = args[2];
          if (minutesWord === undefined) return (conversation) => ({ action: 'close', conversation, outcome });
          const coolDownMinutes = Number(minutesWord.replace(/min$/, ''));
          if (!Number.isInteger(coolDownMinutes) || coolDownMinutes < 1 || coolDownMinutes > 7 * 24 * 60)
            return { error: 'La mise au calme se compte en minutes, de 1 à 10080 (une semaine).' };
          return (conversation) => ({ action: 'close', conversation, outcome, coolDownMinutes });
        },
      ),
    ],
  },
  flag_danger: {
    roles: 'staff',
    run: (invocation, command) => flagDanger(invocation, command.conversation),
    text: [
      onTicket(['danger'], '!danger N — signaler un danger grave (priorité)', (conversation) => ({
        action: 'flag_danger',
        conversation,
      })),
    ],
  },
  supervise: {
    roles: 'supervisor',
    run: (invocation, command) => supervise(invocation, command.conversation),
    text: [
      onTicket(['superviser'], '!superviser N — (superviseurs) rejoindre la conversation', (conversation) => ({
        action: 'supervise',
        conversation,
      })),
    ],
  },
  disclosure_request: {
    roles: 'staff',
    run: (invocation, command) => disclosureRequest(invocation, command.conversation, command.reason),
    text: [
      withTicket(
        ['levee', 'lever-anonymat'],
        `!levee N motif — danger grave : demander la levée d'anonymat (motif de ${DISCLOSURE_REASON.min} caractères au moins)`,
        (args) => {
          const reason = args.slice(1).join(' ').trim();
          if (reason.length < DISCLOSURE_REASON.min)
            return {
              error: `Indiquez le motif (${DISCLOSURE_REASON.min} caractères au moins), par exemple : !levee 12 menace de passage à l'acte ce soir`,
            };
          return (conversation) => ({
            action: 'disclosure_request',
            conversation,
            reason: reason.slice(0, DISCLOSURE_REASON.max),
          });
        },
      ),
    ],
  },
  disclosure_decision: {
    roles: 'supervisor',
    roleCheckedBy: 'rules',
    run: (invocation, command) =>
      disclosureDecision(
        invocation,
        command.conversation,
        command.disclosure,
        command.decision === 'approve',
        command.comment,
      ),
    text: [
      withTicket(
        ['approuver-levee', 'refuser-levee'],
        "!approuver-levee N id [commentaire] / !refuser-levee N id [motif] — (superviseurs) décider d'une demande",
        (args, verb) => {
          const disclosure = args[1];
          if (!disclosure) return { error: `Indiquez le numéro de la demande, par exemple : !${verb} 12 a1b2c3d4` };
          const comment = args.slice(2).join(' ').trim().slice(0, 1000);
          const decision = verb === 'approuver-levee' ? 'approve' : 'refuse';
          return (conversation) => ({
            action: 'disclosure_decision',
            conversation,
            disclosure,
            decision,
            ...(comment ? { comment } : {}),
          });
        },
      ),
    ],
  },
  disclosure_withdraw: {
    roles: 'staff',
    run: (invocation, command) => disclosureWithdraw(invocation, command.conversation, command.disclosure),
    text: [
      withTicket(
        ['retirer-levee'],
        "!retirer-levee N id — retirer sa propre demande de levée d'anonymat tant qu'elle n'est pas décidée",
        (args) => {
          const disclosure = args[1];
          if (!disclosure)
            return { error: 'Indiquez le numéro de la demande, par exemple : !retirer-levee 12 a1b2c3d4' };
          return (conversation) => ({ action: 'disclosure_withdraw', conversation, disclosure });
        },
      ),
    ],
  },
  legal_hold: {
    roles: 'supervisor',
    run: (invocation, command) => legalHold(invocation, command.conversation, command.hold, command.reason),
    text: [
      withTicket(
        ['conserver', 'liberer'],
        '!conserver N motif / !liberer N motif — (superviseurs) poser ou lever une conservation judiciaire',
        (args, verb) => {
          const reason = args.slice(1).join(' ').trim();
          if (reason.length < LEGAL_HOLD_REASON.min)
            return {
              error: `Indiquez le motif (${LEGAL_HOLD_REASON.min} caractères au moins), par exemple : !${verb} 12 réquisition du parquet`,
            };
          return (conversation) => ({
            action: 'legal_hold',
            conversation,
            hold: verb === 'conserver',
            reason: reason.slice(0, LEGAL_HOLD_REASON.max),
          });
        },
      ),
    ],
  },
  export: {
    roles: 'supervisor',
    run: (invocation, command) => exportCommand(invocation, command.conversation),
    text: [
      onTicket(
        ['exporter'],
        '!exporter N — (superviseurs) exporter la conversation (salon des superviseurs)',
        (conversation) => ({ action: 'export', conversation }),
      ),
    ],
  },
  queue_list: {
    roles: 'staff',
    run: (invocation) => queueList(invocation),
    text: [
      {
        verbs: ['file', 'attente'],
        help: '!file — les conversations en attente (numéro, attente, priorité) et les transferts proposés à la force',
        parse: () => ({ command: { action: 'queue_list' } }),
      },
    ],
  },
  mine_list: {
    roles: 'staff',
    run: (invocation) => mineList(invocation),
    text: [
      {
        verbs: ['mes'],
        help: '!mes — mes conversations en cours et les transferts qui me sont proposés',
        parse: () => ({ command: { action: 'mine_list' } }),
      },
    ],
  },
};

/** The order `!aide` lists the commands in: the day's work first, then the grave-danger and supervisors' ones. */
const HELP_ORDER: readonly CommandAction[] = [
  'queue_list',
  'mine_list',
  'duty',
  'claim',
  'transfer',
  'transfer_accept',
  'transfer_decline',
  'close',
  'flag_danger',
  'supervise',
  'disclosure_request',
  'disclosure_decision',
  'disclosure_withdraw',
  'legal_hold',
  'export',
];

/** Every text form, in help order. */
export const TEXT_FORMS: readonly TextForm[] = HELP_ORDER.flatMap((action) => COMMANDS[action].text);

export const HELP = [
  'Commandes (dans le salon de file de votre force, hors fil de discussion : les fils servent aux notes) :',
  ...TEXT_FORMS.flatMap((form) => (form.help ? [form.help] : [])),
].join('\n');

/** Runs a command through its entry (the one place the action's type is joined back to its entry's). */
export function runCommand(invocation: Invocation, command: Command): Promise<CommandOutcome> {
  const spec = COMMANDS[command.action] as CommandSpec<typeof command.action>;
  return (spec.run as (invocation: Invocation, command: Command) => Promise<CommandOutcome>)(invocation, command);
}
