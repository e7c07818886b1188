import { DISCLOSURE_REASON, FORCES, LEGAL_HOLD_REASON, type Command, type Force, type Outcome } from '@espace-mineurs/protocol';

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
  '!clore N issue [minutes] — clore ; issue : plainte, 119, 3018, ecole, sante, secours, aucune ; avec des minutes, pas de nouvelle conversation de ce jeune ni de son adresse pendant ce temps',
  '!danger N — signaler un danger grave (priorité)',
  '!superviser N — (superviseurs) rejoindre la conversation',
  "!levee N motif — danger grave : demander la levée d'anonymat (motif de 10 caractères au moins)",
  "!approuver-levee N id [commentaire] / !refuser-levee N id [motif] — (superviseurs) décider d'une demande",
  "!retirer-levee N id — retirer sa propre demande de levée d'anonymat tant qu'elle n'est pas décidée",
  '!conserver N motif / !liberer N motif — (superviseurs) poser ou lever une conservation judiciaire',
  '!exporter N — (superviseurs) exporter la conversation (salon des superviseurs)',
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
    case 'levee':
    case 'lever-anonymat': {
      const reason = args.slice(1).join(' ').trim();
      if (reason.length < DISCLOSURE_REASON.min) return { kind: 'error', message: `Indiquez le motif (${DISCLOSURE_REASON.min} caractères au moins), par exemple : !levee 12 menace de passage à l'acte ce soir` };
      return withRoom((conversation) => ({ action: 'disclosure_request', requestId, conversation, reason: reason.slice(0, DISCLOSURE_REASON.max) }));
    }
    case 'approuver-levee':
    case 'refuser-levee': {
      const disclosure = args[1];
      if (!disclosure) return { kind: 'error', message: `Indiquez le numéro de la demande, par exemple : !${verb} 12 a1b2c3d4` };
      const comment = args.slice(2).join(' ').trim().slice(0, 1000);
      const decision = verb === 'approuver-levee' ? 'approve' : 'refuse';
      return withRoom((conversation) => ({ action: 'disclosure_decision', requestId, conversation, disclosure, decision, ...(comment ? { comment } : {}) }));
    }
    case 'retirer-levee': {
      const disclosure = args[1];
      if (!disclosure) return { kind: 'error', message: 'Indiquez le numéro de la demande, par exemple : !retirer-levee 12 a1b2c3d4' };
      return withRoom((conversation) => ({ action: 'disclosure_withdraw', requestId, conversation, disclosure }));
    }
    case 'conserver':
    case 'liberer': {
      const reason = args.slice(1).join(' ').trim();
      if (reason.length < LEGAL_HOLD_REASON.min) return { kind: 'error', message: `Indiquez le motif (${LEGAL_HOLD_REASON.min} caractères au moins), par exemple : !${verb} 12 réquisition du parquet` };
      return withRoom((conversation) => ({ action: 'legal_hold', requestId, conversation, hold: verb === 'conserver', reason: reason.slice(0, LEGAL_HOLD_REASON.max) }));
    }
    case 'exporter':
      return withRoom((conversation) => ({ action: 'export', requestId, conversation }));
    case 'clore':
    case 'fermer': {
      const outcome = OUTCOME_WORDS[(args[1] ?? '').toLowerCase()];
      if (!outcome) return { kind: 'error', message: `Indiquez l'issue : ${Object.keys(OUTCOME_WORDS).filter((word) => !/[éè]/.test(word) && word !== 'aucun').join(', ')}.` };
      const minutesWord = args[2];
      if (minutesWord === undefined) return withRoom((conversation) => ({ action: 'close', requestId, conversation, outcome }));
      const coolDownMinutes = Number(minutesWord.replace(/min$/, ''));
      if (!Number.isInteger(coolDownMinutes) || coolDownMinutes < 1 || coolDownMinutes > 7 * 24 * 60) return { kind: 'error', message: 'La mise au calme se compte en minutes, de 1 à 10080 (une semaine).' };
      return withRoom((conversation) => ({ action: 'close', requestId, conversation, outcome, coolDownMinutes }));
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

