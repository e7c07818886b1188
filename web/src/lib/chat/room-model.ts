import type { PublicStatus } from '@espace-mineurs/protocol';
import { EventType } from '@espace-mineurs/protocol/names';
import {
  applyEdit,
  applyRedaction,
  replacement,
  toTimelineMessage,
  upsert,
  type Participants,
  type RawEvent,
  type TimelineMessage,
} from './timeline.ts';
import { readPublicStatus } from './validate.ts';

/**
 * What the young person's page knows of their room, built from /sync and /messages: the timeline as lines, the
 * service's status, who of the staff is typing and how far they have read. Pure (no I/O), so each rule is tested
 * alone; matrix-room.ts feeds it.
 */
export class RoomModel {
  messages: TimelineMessage[] = [];
  status: PublicStatus | undefined;
  typing = false;
  /** Timestamp of the latest of the young person's lines a member of staff has read (0 when none). */
  readUpTo = 0;

  readonly #me: string;
  #service: string | undefined;
  readonly #names = new Map<string, string>();
  /** Receipts for events not loaded yet, kept so a later page of history can still show « Lu ». */
  readonly #receipts = new Map<string, number>();

  constructor(me: string) {
    this.#me = me;
  }

  get #who(): Participants {
    return { me: this.#me, service: this.#service, nameOf: (userId) => this.#names.get(userId) };
  }

  /** Room state (the sync's `state` section, and state events of the timeline): creator, names, status. */
  applyState(events: readonly RawEvent[]): void {
    // The creator first: the status is trusted only from it, whatever order the state comes in.
    const create = events.find((event) => event.type === 'm.room.create' && event.state_key === '');
    if (create?.sender) this.#service = create.sender;
    for (const event of events) {
      if (event.state_key === undefined || !event.sender) continue;
      if (event.type === 'm.room.member') {
        const name = event.content?.displayname;
        if (event.content?.membership === 'join' && typeof name === 'string' && name.trim())
          this.#names.set(event.state_key, name);
        else this.#names.delete(event.state_key);
      } else if (event.type === EventType.Status && event.state_key === '') this.#readStatus(event);
    }
  }

  /**
   * Timeline events, oldest first. `older` marks a page of history fetched by scrolling up: its state events are
   * in the past, so they never override the current status or names.
   */
  applyTimeline(events: readonly RawEvent[], older = false): void {
    let messages = this.messages;
    for (const event of events) {
      if (event.state_key !== undefined) {
        if (!older) this.applyState([event]);
        continue;
      }
      if (event.type === 'm.room.redaction') messages = applyRedaction(messages, event);
      else if (replacement(event)) messages = applyEdit(messages, event);
      else {
        const message = toTimelineMessage(event, this.#who);
        if (message) messages = upsert(messages, message);
      }
    }
    this.messages = messages;
    this.#refreshRead();
  }

  /** A message the homeserver accepted, shown before its echo comes back through /sync (same event id). */
  addSent(message: TimelineMessage): void {
    if (this.messages.some((item) => item.eventId === message.eventId)) return;
    this.messages = upsert(this.messages, message);
  }

  /** Typing notices and read receipts; the young person's own and the service's are not staff. */
  applyEphemeral(events: readonly RawEvent[]): void {
    for (const event of events) {
      if (event.type === 'm.typing') {
        const users = event.content?.user_ids;
        this.typing =
          Array.isArray(users) &&
          users.some((user) => typeof user === 'string' && user !== this.#me && user !== this.#service);
      } else if (event.type === 'm.receipt' && event.content) {
        for (const [eventId, receipt] of Object.entries(event.content)) {
          const readers = (receipt as Record<string, unknown> | null)?.['m.read'];
          if (typeof readers !== 'object' || readers === null) continue;
          const byStaff = Object.keys(readers).some((user) => user !== this.#me && user !== this.#service);
          if (byStaff) this.#receipts.set(eventId, 0);
        }
      }
    }
    this.#refreshRead();
  }

  #refreshRead(): void {
    for (const message of this.messages) {
      if (this.#receipts.has(message.eventId) && message.ts > this.readUpTo) this.readUpTo = message.ts;
    }
  }

  #readStatus(event: RawEvent): void {
    // Trust by sender: only the service account may tell the young person where they stand.
    if (this.#service === undefined || event.sender !== this.#service) return;
    const status = readPublicStatus(event.content);
    if (status && !(this.status && status.updatedAt < this.status.updatedAt)) this.status = status;
  }
}
