/**
 * Custom Matrix event types of Espace mineurs. One namespace, so any Matrix client shows them as unknown
 * events and Synapse stores them like any other.
 *
 * Where each lives and who may send it (docs/architecture.md, Principles 6, "Trust by sender"):
 * | type | kind | room | sender |
 * | --- | --- | --- | --- |
 * | staff | state, key = userStateKey(user id) | force space | bot |
 * | duty | state, key = userStateKey(user id) | force queue room | bot (from an agent's command) |
 * | conversation | state, key = young person's room id | force queue room | bot |
 * | status | state, key '' | young person's room | bot |
 * | command | message | force queue room | agent or supervisor of that force |
 * | command_result | message (m.notice) | force queue room | bot |
 * | audit | message | force audit room | bot |
 * | conversation_room | state, key '' | young person's room | bot (set at creation: which guest it serves) |
 * | triage | state, key '' | young person's room | bot (legacy: rooms before triage progress moved into the bot's replies) |
 * Safety records (disclosure requests, legal holds, retention records, exports, cool-downs): ./safety.ts.
 * Triage questions and answers are ordinary m.room.message events carrying an extra content key, so they read
 * well in Element too.
 */
export const NS = 'fr.espace-mineurs';

export const EventType = {
  Staff: `${NS}.staff`,
  Duty: `${NS}.duty`,
  Conversation: `${NS}.conversation`,
  Status: `${NS}.status`,
  Command: `${NS}.command`,
  CommandResult: `${NS}.command_result`,
  Audit: `${NS}.audit`,
  /** The admin command line's own audit chain, in the same audit rooms (message events, sent by the admin). */
  AuditAdmin: `${NS}.audit_admin`,
  /** Canned responses of a force: state, key '', in the force queue room; supervisors (power 75) edit them. */
  CannedResponses: `${NS}.canned_responses`,
  /** Marks a room created by the bootstrap (force space, queue, supervisors) with its role. State, key ''. */
  RoomRole: `${NS}.room_role`,
  /** Marks a young person's room, set atomically at creation, so the bot finds it again after a restart. */
  ConversationRoom: `${NS}.conversation_room`,
  /**
   * Triage progress as a state event: written only by earlier versions (still read at start for their rooms).
   * The progress now travels in the bot's reply to each answer (ContentKey.TriageProgress).
   */
  Triage: `${NS}.triage`,
} as const;

/** Extra keys inside m.room.create content (set at creation, so they cost no event of their own). */
export const CreationKey = {
  /**
   * `true` in a young person's room created ahead of demand (bot/src/intake/pool.ts): until the conversation
   * marker names its guest, the bot finds it again as a ready room. Nothing personal is in such a room.
   */
  PooledRoom: `${NS}.pooled_room`,
} as const;

/** Extra keys inside m.room.message content. */
export const ContentKey = {
  TriageQuestion: `${NS}.triage_question`,
  TriageAnswer: `${NS}.triage_answer`,
  /**
   * In the bot's last reply to a triage answer (or its first question): the progress after it (TriageProgress,
   * the young person's own answers). The reply is the commit: a restart reads the latest one back from the
   * timeline, so the triage needs no state event per answer.
   */
  TriageProgress: `${NS}.triage_progress`,
  /** Marks a message the bot sent on behalf of the service (goodbye, resources, "someone is coming"). */
  Service: `${NS}.service`,
  /** Service message: the danger message of the triage (17 / 112 / 114). */
  ServiceDanger: `${NS}.service.danger`,
  /** Service message: the goodbye at closing. */
  ServiceClosed: `${NS}.service.closed`,
  /** Service message: the orientation line of the goodbye (its outcome, said for the young person). */
  ServiceOrientation: `${NS}.service.orientation`,
  /** Service message: an agent is coming (after a claim or an accepted transfer). */
  ServiceAgentComing: `${NS}.service.agent_coming`,
  /** Service message: help is on its way (an approved anonymity lifting). */
  ServiceHelpComing: `${NS}.service.help_coming`,
  /** In the bot's m.image of an evidence image: its hashes, so agents, the export and any client see them. */
  Evidence: `${NS}.evidence`,
  /** In the m.file messages of an export (supervisors room): the document hash, conversation and export id. */
  Export: `${NS}.export`,
} as const;

export type EventTypeName = (typeof EventType)[keyof typeof EventType];

/**
 * State keys for per-user state (staff, duty). Matrix reserves state keys that start with '@' to the user they
 * name (only that user may set them), so the bot stores the user ID without its leading '@'.
 */
export function userStateKey(userId: string): string {
  if (!userId.startsWith('@')) throw new Error('not a Matrix user ID');
  return userId.slice(1);
}

export function userIdFromStateKey(stateKey: string): string {
  return `@${stateKey}`;
}
