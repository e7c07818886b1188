import { z } from 'zod';
import { Outcome } from './conversation.ts';
import { Force } from './forces.ts';
import { EventType } from './events.ts';

/**
 * Every code a refused command's result may carry (CommandResult.code). The bot sends only these (its type says
 * so) and the agent client has a French label for each (a Record over this list: a new code without a label is a
 * type error there).
 */
export const COMMAND_REFUSAL_CODES = [
  /** The command could not be read (bad structure, unknown text command, missing argument). */
  'BAD_COMMAND',
  'NOT_STAFF',
  'WRONG_FORCE',
  'NOT_SUPERVISOR',
  'UNKNOWN_CONVERSATION',
  'CONVERSATION_ENDED',
  // claim
  'ALREADY_CLAIMED',
  'NOT_QUEUED',
  'AT_CAPACITY',
  /** The sender already holds this conversation (a claim of one's own conversation). */
  'ALREADY_YOURS',
  /** The conversation is someone else's (and the sender is not a supervisor). */
  'NOT_ASSIGNEE',
  /** Only a conversation in progress (assigned) can be transferred. */
  'NOT_IN_PROGRESS',
  'UNKNOWN_AGENT',
  'SAME_AGENT',
  /** No transfer is offered to the sender for this conversation. */
  'NO_PENDING_TRANSFER',
  // reasons, legal hold
  'REASON_REQUIRED',
  'NO_HOLD',
  // anonymity lifting
  'UNKNOWN_DISCLOSURE',
  'OWN_REQUEST',
  'EXPIRED',
  'ALREADY_DECIDED',
  'NOT_REQUESTER',
] as const;
export const CommandRefusalCode = z.enum(COMMAND_REFUSAL_CODES);
export type CommandRefusalCode = z.infer<typeof CommandRefusalCode>;

export function isCommandRefusalCode(code: string): code is CommandRefusalCode {
  return (COMMAND_REFUSAL_CODES as readonly string[]).includes(code);
}

/** A legal hold's reason, in the command, the bot's check and the agent client's dialog. */
export const LEGAL_HOLD_REASON = { min: 5, max: 500 } as const;
/** An anonymity-lifting request's reason. */
export const DISCLOSURE_REASON = { min: 10, max: 1000 } as const;

const RoomId = z.string().regex(/^![^:]+:.+$/, 'a Matrix room ID');
const UserId = z.string().regex(/^@[^:]+:.+$/, 'a Matrix user ID');
/** Chosen by the sender, echoed in the result, so a client can match an answer to its request. */
const RequestId = z.string().min(1).max(64);

/**
 * Agent and supervisor actions, sent as EventType.Command message events in their force's queue room. The bot
 * executes a command only when its sender is staff of that force with the right role (docs/architecture.md, "Trust by
 * sender"), then answers with a result (CommandResultContent; `commandResultIn` reads it). Every action also has a
 * text form for Element (`!aide` lists them), parsed by the bot into the same values.
 */
export const Command = z.discriminatedUnion('action', [
  z.object({ action: z.literal('claim'), requestId: RequestId, conversation: RoomId }),
  z.object({
    action: z.literal('duty'),
    requestId: RequestId,
    onDuty: z.boolean(),
    capacity: z.number().int().min(1).max(10).optional(),
  }),
  z.object({
    action: z.literal('transfer'),
    requestId: RequestId,
    conversation: RoomId,
    /** A colleague (any force) or a whole force's queue. */
    to: z.union([z.object({ agent: UserId }), z.object({ force: Force })]),
    /** warm: the receiver accepts or declines; cold: handed over at once. */
    mode: z.enum(['warm', 'cold']),
    comment: z.string().max(1000).optional(),
  }),
  z.object({ action: z.literal('transfer_accept'), requestId: RequestId, conversation: RoomId }),
  z.object({
    action: z.literal('transfer_decline'),
    requestId: RequestId,
    conversation: RoomId,
    reason: z.string().max(500).optional(),
  }),
  z.object({
    action: z.literal('close'),
    requestId: RequestId,
    conversation: RoomId,
    outcome: Outcome,
    /** "Close and cool down": no new conversation from that guest or its address for this many minutes (audited). */
    coolDownMinutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .optional(),
  }),
  z.object({ action: z.literal('flag_danger'), requestId: RequestId, conversation: RoomId }),
  /** Supervisors only: join a conversation of their force (audited). */
  z.object({ action: z.literal('supervise'), requestId: RequestId, conversation: RoomId }),
  /** Grave danger: an agent asks to lift the young person's anonymity. A supervisor of the force decides. */
  z.object({
    action: z.literal('disclosure_request'),
    requestId: RequestId,
    conversation: RoomId,
    reason: z.string().trim().min(DISCLOSURE_REASON.min).max(DISCLOSURE_REASON.max),
  }),
  /** Supervisors only, never on their own request: `disclosure` is the request's id as the bot published it. */
  z.object({
    action: z.literal('disclosure_decision'),
    requestId: RequestId,
    conversation: RoomId,
    disclosure: z.string().min(1).max(255),
    decision: z.enum(['approve', 'refuse']),
    comment: z.string().max(1000).optional(),
  }),
  /** The requester takes back a pending request (the danger is over, or it was a mistake); audited. */
  z.object({
    action: z.literal('disclosure_withdraw'),
    requestId: RequestId,
    conversation: RoomId,
    disclosure: z.string().min(1).max(255),
  }),
  /** Supervisors only: suspend (hold true) or allow again (false) the deletion of a closed conversation. */
  z.object({
    action: z.literal('legal_hold'),
    requestId: RequestId,
    conversation: RoomId,
    hold: z.boolean(),
    reason: z.string().trim().min(LEGAL_HOLD_REASON.min).max(LEGAL_HOLD_REASON.max),
  }),
  /** Supervisors only: export a conversation for a judicial procedure (JSON + readable document, audited). */
  z.object({ action: z.literal('export'), requestId: RequestId, conversation: RoomId }),
  /** Read only: the force's waiting conversations (ticket, wait, priority), answered in the result's body. */
  z.object({ action: z.literal('queue_list'), requestId: RequestId }),
  /** Read only: the sender's own conversations (in progress, and transfers offered to them). */
  z.object({ action: z.literal('mine_list'), requestId: RequestId }),
]);
export type Command = z.infer<typeof Command>;
export type CommandAction = Command['action'];

export const CommandResultContent = z.object({
  requestId: RequestId,
  action: z.string(),
  ok: z.boolean(),
  /** Machine code of a refusal. */
  code: CommandRefusalCode.optional(),
  /** What the command created, when it created something to refer to later (a disclosure request's id). */
  ref: z.string().max(255).optional(),
});
export type CommandResultContent = z.infer<typeof CommandResultContent>;

/**
 * Where a command's result travels: an EventType.CommandResult event, or — when the answer is a line of the queue
 * room's live log, which every agent of the force receives anyway — inside that `m.room.message` under the same
 * name, so one event answers the command instead of two. Returns the unvalidated result content, or undefined.
 */
export function commandResultIn(event: { type: string; content: Record<string, unknown> }): unknown {
  if (event.type === EventType.CommandResult) return event.content;
  if (event.type === 'm.room.message') {
    const carried = event.content[EventType.CommandResult];
    if (typeof carried === 'object' && carried !== null) return carried;
  }
  return undefined;
}

export const Priority = z.enum(['normal', 'urgent']);
export type Priority = z.infer<typeof Priority>;

/** Triage answers as recorded for agents: option ids plus the labels shown, and the postal code. */
export const TriageSummary = z.object({
  context: z.string().optional(),
  role: z.string().optional(),
  what: z.string().optional(),
  inDanger: z.boolean().optional(),
  ageRange: z.string().optional(),
  /** Five digits (Corsica is 20xxx; overseas 971xx–976xx, 98xxx). */
  postalCode: z
    .string()
    .regex(/^\d{5}$/)
    .optional(),
  /** Readable one-line summary in French, for the queue message and Element users. */
  text: z.string().max(500),
  /** The young person asked to skip the remaining questions. */
  skipped: z.boolean().default(false),
});
export type TriageSummary = z.infer<typeof TriageSummary>;

/** The fields every agents-side record may carry, whatever its state (see `ConversationEntry`). */
const EntryFields = z.object({
  roomId: RoomId,
  /** Short number agents use in text commands (!prendre 12). Unique per force. */
  ticket: z.number().int().min(1),
  force: Force,
  priority: Priority,
  triage: TriageSummary.optional(),
  createdAt: z.number().int(),
  /** When it entered a queue: the one "waiting since" (kept through requeues, overflow and transfers). */
  queuedAt: z.number().int().optional(),
  claimedAt: z.number().int().optional(),
  firstAgentMessageAt: z.number().int().optional(),
  closedAt: z.number().int().optional(),
  assignee: UserId.optional(),
  /** A warm transfer waiting for the receiver's answer. */
  pendingTransfer: z
    .object({
      from: UserId,
      to: z.union([z.object({ agent: UserId }), z.object({ force: Force })]),
      comment: z.string().max(1000).optional(),
      offeredAt: z.number().int(),
      /**
       * An offer to the other force: the ticket that force's agents know it by (reserved with the offer, kept if
       * they accept), so `!accepter N` is typed with a number of their own queue.
       */
      receiver: z.object({ force: Force, ticket: z.number().int().min(1) }).optional(),
    })
    .optional(),
  outcome: Outcome.optional(),
  /** Event ID of the queue message for this conversation: internal notes are a thread under it. */
  queueEventId: z.string().optional(),
  /** Set when the conversation moved to the other force: where it lives now. */
  movedTo: Force.optional(),
  /**
   * The agent a transfer took it from. Written with the transfer itself, so that a bot killed before removing
   * that agent from the room still removes them when the transfer is replayed.
   */
  transferredFrom: UserId.optional(),
  /** The force it came from when it overflowed or was transferred (a conversation overflows once). */
  previousForce: Force.optional(),
  /** Event ID of the last command or event applied to this entry, so a replayed one changes nothing. */
  lastEvent: z.string().optional(),
  /** Set once the guest account was locked and deactivated after closing. */
  guestEndedAt: z.number().int().optional(),
  /**
   * Opened past the soft per-address limit (many openings from one address in a few minutes: a school, a
   * carrier, or someone scripting). For agents only: never written in the young person's room.
   */
  serialOpening: z.literal(true).optional(),
  /**
   * The young person left from the site (quick exit or « Terminer ») while the conversation was queued or
   * assigned; cleared if they write again. The conversation stays open until an agent closes it with an outcome.
   */
  guestLeftAt: z.number().int().optional(),
});

/** Waiting in its force's queue since `queuedAt`. */
export const QueuedEntry = EntryFields.extend({ state: z.literal('queued'), queuedAt: z.number().int() });
export type QueuedEntry = z.infer<typeof QueuedEntry>;

/** Held by `assignee` since `claimedAt` (after a claim, or a transfer to an agent). */
export const AssignedEntry = EntryFields.extend({
  state: z.literal('assigned'),
  queuedAt: z.number().int(),
  assignee: UserId,
  claimedAt: z.number().int(),
});
export type AssignedEntry = z.infer<typeof AssignedEntry>;

/** Closed at `closedAt` with the orientation given to the young person. */
export const ClosedEntry = EntryFields.extend({
  state: z.literal('closed'),
  closedAt: z.number().int(),
  outcome: Outcome,
});
export type ClosedEntry = z.infer<typeof ClosedEntry>;

/** Ended at `closedAt` because the young person left or stayed silent. */
export const AbandonedEntry = EntryFields.extend({ state: z.literal('abandoned'), closedAt: z.number().int() });
export type AbandonedEntry = z.infer<typeof AbandonedEntry>;

/**
 * The agents-side record of one conversation: EventType.Conversation state in the queue room of the force that
 * holds it, state key = the young person's room ID. Written by the bot only; the source of truth it rebuilds
 * from after a restart. A union on `state`: the fields a state depends on are required in it (a queued entry has
 * its `queuedAt`, an assigned one its `assignee` and `claimedAt`, an ended one its `closedAt`). A conversation has
 * no entry while in triage.
 */
export const ConversationEntry = z.discriminatedUnion('state', [
  QueuedEntry,
  AssignedEntry,
  ClosedEntry,
  AbandonedEntry,
]);
export type ConversationEntry = z.infer<typeof ConversationEntry>;
/** The states an agents-side record can be in (`triage` comes before any entry). */
export type EntryState = ConversationEntry['state'];
