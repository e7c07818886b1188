import {
  FORCES,
  type ConversationEntry,
  type QueuedEntry,
  type CoolDown,
  type ConversationState,
  type DutyContent,
  type Force,
  type PublicStatus,
  type StaffContent,
  type TriageProgress,
} from '@espace-mineurs/protocol';
import type { ForceRooms } from '../bootstrap/index.ts';
import type { ForceLoad } from '../routing/policy.ts';
import { AddressBook } from '../intake/address-book.ts';
import type { DisclosureRequest } from '../disclosure/request.ts';

/** One young person's conversation as the bot holds it in memory, rebuilt from room state at start. */
/** What the audit keeps of one evidence image: who sent it, when, and the hash and size of the stored bytes. */
export interface EvidenceRecord {
  actor: string;
  at: number;
  sha256: string;
  size: number;
}

/**
 * The guest of a past conversation rebuilt from its entry alone (state/rebuild.ts, `isPast`): its account has ended
 * and its room was not read; `guestOf` reads it when an export or a disclosure needs it.
 */
export const UNREAD_GUEST = '';

export interface Conversation {
  roomId: string;
  /** The young person's guest account; `UNREAD_GUEST` once ended and not read at start. */
  guest: string;
  createdAt: number;
  triage: TriageProgress | undefined;
  /** The agents-side record, once routed to a force. */
  entry: ConversationEntry | undefined;
  /** The last public status written, which also records endings that happened before routing. */
  status: PublicStatus | undefined;
  /** Last message from the young person (or the start of the current phase after a restart). */
  lastGuestActivity: number;
  /** Whether the assigned agent has joined the room (shown to the young person). */
  agentJoined?: boolean;
  /**
   * Evidence images sent during the triage, audited once the conversation is routed (evidence/custody.ts).
   * Undefined when not known (rebuilt after a restart): the routing reads them back from the room.
   */
  triageEvidence?: EvidenceRecord[];
}

export type StaffMember = StaffContent & { userId: string };

/** A conversation routed to a force: it has its agents-side record. */
export type RoutedConversation = Conversation & { entry: ConversationEntry };

/** A conversation waiting in its force's queue. */
export type QueuedConversation = Conversation & { entry: QueuedEntry };

export function isRouted(conversation: Conversation | undefined): conversation is RoutedConversation {
  return conversation?.entry !== undefined;
}

export const TERMINAL: ReadonlySet<ConversationState> = new Set(['closed', 'abandoned']);

export function stateOf(conversation: Conversation): ConversationState {
  if (conversation.entry) return conversation.entry.state;
  if (conversation.status && TERMINAL.has(conversation.status.state)) return conversation.status.state;
  return 'triage';
}

/** The bot's in-memory view. Matrix holds the truth; this is a cache rebuilt at every start. */
export class Store {
  readonly forces: Record<Force, ForceRooms>;
  readonly conversations = new Map<string, Conversation>();
  /** Latest conversation per guest (open or not): one open conversation at a time. */
  readonly latestByGuest = new Map<string, string>();
  readonly staff = new Map<string, StaffMember>();
  readonly duty = new Map<string, DutyContent>();
  /** Requests to lift anonymity, by id (kept as state in each force's supervisors room). */
  readonly disclosures = new Map<string, DisclosureRequest>();
  /** "Close and cool down" set by agents, by guest (state in the supervisors rooms). */
  readonly coolDowns = new Map<string, CoolDown>();
  /** Hash of the address each guest last opened a conversation from, for cool-downs (a state-dir file). */
  readonly addressOf = new AddressBook();
  private readonly lastTicket: Record<Force, number> = { police: 0, gendarmerie: 0 };
  /** Recent waits (queued → claimed, seconds) per force, for estimated waits. */
  private readonly recentWaits: Record<Force, number[]> = { police: [], gendarmerie: [] };

  constructor(forces: Record<Force, ForceRooms>) {
    this.forces = forces;
  }

  forceOfQueueRoom(roomId: string): Force | undefined {
    return FORCES.find((force) => this.forces[force].queueRoomId === roomId);
  }

  isServiceRoom(roomId: string): boolean {
    return FORCES.some((force) => Object.values(this.forces[force]).includes(roomId));
  }

  add(conversation: Conversation): void {
    this.conversations.set(conversation.roomId, conversation);
    if (conversation.entry) this.noteTicket(conversation.entry.force, conversation.entry.ticket);
    // An ended guest opens nothing again: a conversation rebuilt without its guest needs no place in the index.
    if (conversation.guest === UNREAD_GUEST) return;
    const current = this.latestByGuest.get(conversation.guest);
    const known = current ? this.conversations.get(current) : undefined;
    if (!known || known.createdAt <= conversation.createdAt)
      this.latestByGuest.set(conversation.guest, conversation.roomId);
  }

  noteTicket(force: Force, ticket: number): void {
    this.lastTicket[force] = Math.max(this.lastTicket[force], ticket);
  }

  /** Tickets are taken synchronously, so two conversations never share one even when handled concurrently. */
  takeTicket(force: Force): number {
    this.lastTicket[force] += 1;
    return this.lastTicket[force];
  }

  byTicket(force: Force, ticket: number): Conversation | undefined {
    for (const conversation of this.conversations.values()) {
      if (conversation.entry?.force === force && conversation.entry.ticket === ticket && !conversation.entry.movedTo)
        return conversation;
    }
    return undefined;
  }

  /** Waiting conversations of a force, in the order agents should take them: urgent first, then oldest. */
  queued(force: Force): QueuedConversation[] {
    return [...this.conversations.values()]
      .filter(
        (conversation): conversation is QueuedConversation =>
          conversation.entry?.force === force && conversation.entry.state === 'queued',
      )
      .sort((a, b) => {
        const urgency = Number(b.entry.priority === 'urgent') - Number(a.entry.priority === 'urgent');
        return urgency !== 0 ? urgency : a.entry.queuedAt - b.entry.queuedAt;
      });
  }

  heldBy(agent: string): number {
    let held = 0;
    for (const conversation of this.conversations.values()) {
      if (conversation.entry?.state === 'assigned' && conversation.entry.assignee === agent) held++;
    }
    return held;
  }

  agentsOnDuty(force: Force): StaffMember[] {
    return [...this.staff.values()].filter(
      (member) => member.force === force && member.active && this.duty.get(member.userId)?.onDuty === true,
    );
  }

  load(force: Force): ForceLoad {
    const onDuty = this.agentsOnDuty(force);
    const freeSlots = onDuty.reduce(
      (sum, member) => sum + Math.max(0, (this.duty.get(member.userId)?.capacity ?? 0) - this.heldBy(member.userId)),
      0,
    );
    return { onDuty: onDuty.length, freeSlots, queued: this.queued(force).length };
  }

  loads(): Record<Force, ForceLoad> {
    return { police: this.load('police'), gendarmerie: this.load('gendarmerie') };
  }

  recordWait(force: Force, seconds: number): void {
    const waits = this.recentWaits[force];
    waits.push(seconds);
    if (waits.length > 50) waits.shift();
  }

  /** Position (1 = next) and a rough estimated wait for a queued conversation. */
  queuePosition(
    conversation: Conversation,
    defaultWaitSeconds: number,
  ): { position: number; estimatedWaitSeconds: number } | undefined {
    const entry = conversation.entry;
    if (!entry || entry.state !== 'queued') return undefined;
    const position = this.queued(entry.force).findIndex((candidate) => candidate.roomId === conversation.roomId) + 1;
    if (position === 0) return undefined;
    const waits = this.recentWaits[entry.force];
    const average = waits.length > 0 ? waits.reduce((a, b) => a + b, 0) / waits.length : defaultWaitSeconds;
    const agents = Math.max(1, this.agentsOnDuty(entry.force).length);
    return { position, estimatedWaitSeconds: Math.round((average * position) / agents) };
  }

  countByState(): Record<ConversationState, number> {
    const counts: Record<ConversationState, number> = { triage: 0, queued: 0, assigned: 0, closed: 0, abandoned: 0 };
    for (const conversation of this.conversations.values()) counts[stateOf(conversation)]++;
    return counts;
  }
}
