import type {
  CannedResponse,
  ConversationEntry,
  DisclosedData,
  DisclosureRequest,
  DutyContent,
  Force,
  LegalHold,
  PublicStatus,
  StaffRole,
} from '@espace-mineurs/protocol';

/**
 * Typed values the matrix layer hands up to the domain layer. Nothing here is a raw Matrix event. They live in
 * matrix/ because the layering is one-way (matrix → domain → ui): the domain imports these, never the reverse.
 */

export interface Me {
  userId: string;
  force: Force;
  role: StaffRole;
  pseudonym: string;
}

export interface ForceRoomIds {
  spaceId: string;
  queueRoomId: string;
  /** Only supervisors are members of it. */
  supervisorsRoomId?: string;
}

export interface StaffMember {
  userId: string;
  force: Force;
  role: StaffRole;
  pseudonym: string;
  active: boolean;
}

export type Author = 'me' | 'agent' | 'young' | 'service';

export interface TimelineItem {
  eventId: string;
  sender: string;
  author: Author;
  /** Never the young person's display name (they choose it, and it may be a real name): "Jeune". */
  authorLabel: string;
  body: string;
  ts: number;
  /** `deleted`: redacted (m.room.redaction); its words are gone, only that it existed remains. */
  kind: 'message' | 'notice' | 'triage' | 'event' | 'deleted';
  /** Replaced by its author (m.replace): `body` is the latest version. */
  edited?: boolean;
  pending: boolean;
  failed: boolean;
}

export interface Note {
  eventId: string;
  sender: string;
  authorLabel: string;
  /** A supervisor's note reads as a whisper to the agent. */
  whisper: boolean;
  mine: boolean;
  body: string;
  ts: number;
  pending: boolean;
}

export interface CommandResult {
  requestId: string;
  action: string;
  ok: boolean;
  code?: string;
  /** What the command created (a disclosure request's id). */
  ref?: string;
  /** The bot's explanation, in French (rendered as text). */
  message?: string;
  ts: number;
}

/**
 * The bot's accounts, whose events alone are trusted as structured data: one in a single-server deployment, one per
 * homeserver in the federated one (a young person's room speaks through the public server's account, the force's
 * rooms through the force server's).
 */
export type BotAccounts = ReadonlySet<string>;

export type { CannedResponse } from '@espace-mineurs/protocol';

/** Everything a screen needs about the agent's force, rebuilt from the synced Matrix state on each change. */
export interface Workspace {
  me: Me;
  rooms: ForceRoomIds;
  bots: BotAccounts;
  staff: Map<string, StaffMember>;
  entries: ConversationEntry[];
  duty: Map<string, DutyContent>;
  /** Rooms of young people the agent has joined (claimed, transferred to them, or supervising). */
  joined: Set<string>;
  /** Rooms the bot invited the agent to and that are not joined yet. */
  invited: Set<string>;
  unread: Map<string, number>;
  lastActivity: Map<string, number>;
  status: Map<string, PublicStatus>;
  /** The force's own list (queue room state), when a supervisor published a valid one; the domain adds defaults. */
  publishedCanned: CannedResponse[] | undefined;
  /** Whether the agent may edit the canned responses (power level in the queue room). */
  canEditCanned: boolean;
  /** Disclosure requests of the force (supervisors only: read from the supervisors room). */
  disclosureRequests: DisclosureRequest[];
  /** Legal holds of the force's conversations, by room id (supervisors only). */
  legalHolds: Map<string, LegalHold>;
  /** What the bot disclosed to this user, from the private rooms it created for them. */
  disclosures: Disclosure[];
}

/** What the bot disclosed to this user in a private room it created for them (grave danger). */
export interface Disclosure {
  roomId: string;
  eventId: string;
  /** The bot's message, readable as it is (shown as text). */
  body: string;
  data: DisclosedData;
  ts: number;
}

/** Whether the client accepts a bot invitation by itself: a policy the domain layer gives the connection. */
export type AutoJoinPolicy = (input: {
  inviter?: string;
  creator?: string;
  bots: BotAccounts;
  entry?: ConversationEntry;
  me: Me;
}) => boolean;
