import type { Command } from '@espace-mineurs/protocol';
import { HELP, TEXT_FORMS, fold, type Mention, type TextForm, type TextTools } from './registry.ts';

/**
 * Text commands typed in a queue room from any Matrix client (Element on a phone), parsed into the same
 * Command values the agent client sends. Conversations are named by their ticket number. The verbs, their
 * parsers and the help come from the command registry (registry.ts).
 */
export { HELP };

export type TextCommand = { kind: 'help' } | { kind: 'command'; command: Command } | { kind: 'error'; message: string };

/** Resolves a ticket number to the room it names in this force (undefined when unknown). */
export type TicketLookup = (ticket: number) => string | undefined;

/** What else the message carries besides its body: its pills, and how the sender's colleagues are named. */
export interface TextContext {
  mentions?: readonly Mention[];
  colleagues?: (pseudonym: string) => string[];
}

const BY_VERB = new Map<string, TextForm>(
  TEXT_FORMS.flatMap((form) => form.verbs.map((verb) => [verb, form] as const)),
);

function roomOf(word: string | undefined, lookup: TicketLookup): { roomId: string } | { error: string } {
  const ticket = Number((word ?? '').replace(/^n°|^#/, ''));
  if (!Number.isInteger(ticket) || ticket < 1)
    return { error: 'Indiquez le numéro de la conversation, par exemple : !prendre 12' };
  const roomId = lookup(ticket);
  return roomId ? { roomId } : { error: `Aucune conversation n°${ticket} dans votre file.` };
}

/**
 * The text of a reply without the quote Matrix clients put before it (`> <@sender> quoted…` lines, then an empty
 * line): what the sender typed.
 */
export function stripReplyFallback(body: string): string {
  if (!body.startsWith('>')) return body;
  const lines = body.split('\n');
  let index = 0;
  while (index < lines.length && lines[index]!.startsWith('>')) index++;
  if (index < lines.length && lines[index]!.trim() === '') index++;
  return lines.slice(index).join('\n');
}

/** Whether a text reads as a command (for the short answer given to one typed in a thread). */
export function looksLikeCommand(body: string): boolean {
  return stripReplyFallback(body).trim().startsWith('!');
}

/** Parses "!verb args…"; undefined when the text is not a command (ordinary chatter between agents). */
export function parseTextCommand(
  body: string,
  requestId: string,
  lookup: TicketLookup,
  context: TextContext = {},
): TextCommand | undefined {
  const trimmed = stripReplyFallback(body).trim();
  if (!trimmed.startsWith('!')) return undefined;
  const [rawVerb = '', ...args] = trimmed.slice(1).split(/\s+/);
  const verb = fold(rawVerb);
  if (verb === 'aide' || verb === 'help') return { kind: 'help' };
  const form = BY_VERB.get(verb);
  if (!form) return { kind: 'error', message: `Commande inconnue. ${HELP}` };
  const tools: TextTools = {
    room: (word) => roomOf(word, lookup),
    mentions: context.mentions ?? [],
    colleagues: context.colleagues ?? (() => []),
  };
  const parsed = form.parse(args, verb, tools);
  if ('error' in parsed) return { kind: 'error', message: parsed.error };
  return { kind: 'command', command: { ...parsed.command, requestId } as Command };
}
