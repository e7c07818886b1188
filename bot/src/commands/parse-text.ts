import { FORCES, type Command, type Force, type Outcome } from '@espace-mineurs/protocol';

/**
 * Text commands typed in a queue room from any Matrix client (Element on a phone), parsed into the same
 * Command values the agent client sends. Conversations are named by their ticket number.
 */
export const HELP = [
  'Commandes (dans le salon de file de votre force) :',
  '!service [capacité] — je prends mon service (3 conversations à la fois par défaut)',
  '!pause — je quitte mon service (mes conversations retournent en file)',
  '!prendre N — je prends la conversation n°N',
  '!transferer N @agent:serveur|police|gendarmerie [chaud|froid] — transférer (froid par défaut)',
  '!accepter N / !refuser N — répondre à un transfert',
  '!clore N issue — clore ; issue : plainte, 119, 3018, ecole, sante, secours, aucune',
  '!danger N — signaler un danger grave (priorité)',
  '!superviser N — (superviseurs) rejoindre la conversation',
].join('\n');

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

export type TextCommand = { kind: 'help' } | { kind: 'command'; command: Command } | { kind: 'error'; message: string };

/** Resolves a ticket number to the room it names in this force (undefined when unknown). */
export type TicketLookup = (ticket: number) => string | undefined;

function ticketOf(word: string | undefined, lookup: TicketLookup): string | { error: string } {
  const ticket = Number((word ?? '').replace(/^n°|^#/, ''));
  if (!Number.isInteger(ticket) || ticket < 1) return { error: 'Indiquez le numéro de la conversation, par exemple : !prendre 12' };
  const roomId = lookup(ticket);
  return roomId ?? { error: `Aucune conversation n°${ticket} dans votre file.` };
}

/** Parses "!verb args…"; undefined when the text is not a command (ordinary chatter between agents). */
export function parseTextCommand(body: string, requestId: string, lookup: TicketLookup): TextCommand | undefined {
  const trimmed = body.trim();
  if (!trimmed.startsWith('!')) return undefined;
  const [rawVerb = '', ...args] = trimmed.slice(1).split(/\s+/);
  const verb = rawVerb.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  const withRoom = (build: (conversation: string) => Command): TextCommand => {
    const room = ticketOf(args[0], lookup);
    return typeof room === 'string' ? { kind: 'command', command: build(room) } : { kind: 'error', message: room.error };
  };
  switch (verb) {
    case 'aide':
    case 'help':
      return { kind: 'help' };
    case 'service':
    case 'dispo': {
      if (args[0] === 'off') return { kind: 'command', command: { action: 'duty', requestId, onDuty: false } };
      const capacityWord = args[0] === 'on' ? args[1] : args[0];
      if (capacityWord === undefined) return { kind: 'command', command: { action: 'duty', requestId, onDuty: true } };
      const capacity = Number(capacityWord);
      if (!Number.isInteger(capacity) || capacity < 1 || capacity > 10) return { kind: 'error', message: 'La capacité est un nombre de 1 à 10.' };
      return { kind: 'command', command: { action: 'duty', requestId, onDuty: true, capacity } };
    }
    case 'pause':
    case 'fin':
      return { kind: 'command', command: { action: 'duty', requestId, onDuty: false } };
    case 'prendre':
      return withRoom((conversation) => ({ action: 'claim', requestId, conversation }));
    case 'accepter':
      return withRoom((conversation) => ({ action: 'transfer_accept', requestId, conversation }));
    case 'refuser':
      return withRoom((conversation) => ({ action: 'transfer_decline', requestId, conversation, ...(args.length > 1 ? { reason: args.slice(1).join(' ').slice(0, 500) } : {}) }));
    case 'danger':
      return withRoom((conversation) => ({ action: 'flag_danger', requestId, conversation }));
    case 'superviser':
      return withRoom((conversation) => ({ action: 'supervise', requestId, conversation }));
    case 'clore':
    case 'fermer': {
      const outcome = OUTCOME_WORDS[(args[1] ?? '').toLowerCase()];
      if (!outcome) return { kind: 'error', message: `Indiquez l'issue : ${Object.keys(OUTCOME_WORDS).filter((word) => !/[éè]/.test(word) && word !== 'aucun').join(', ')}.` };
      return withRoom((conversation) => ({ action: 'close', requestId, conversation, outcome }));
    }
    case 'transferer': {
      const target = args[1] ?? '';
      const mode = (args[2] ?? 'froid').toLowerCase() === 'chaud' ? 'warm' : 'cold';
      let to: { agent: string } | { force: Force };
      if ((FORCES as readonly string[]).includes(target)) to = { force: target as Force };
      else if (/^@[^:]+:.+$/.test(target)) to = { agent: target };
      else return { kind: 'error', message: 'Indiquez à qui transférer : @agent:serveur, police ou gendarmerie.' };
      return withRoom((conversation) => ({ action: 'transfer', requestId, conversation, to, mode }));
    }
    default:
      return { kind: 'error', message: `Commande inconnue. ${HELP}` };
  }
}

