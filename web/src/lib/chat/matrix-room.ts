/**
 * The young person's Matrix connection, on fetch: join, one filtered /sync loop for their one room, /messages to
 * scroll back, sends with our own transaction ids. No SDK: a guest in one room needs a handful of endpoints, and
 * every kilobyte and round trip counts on a cheap phone. What the responses mean is room-model.ts's job.
 */
import { EventType } from '@espace-mineurs/protocol/names';
import { createMatrixHttp, MatrixRequestError, type MatrixFailure, type MatrixHttp } from './matrix-http.ts';
import { RoomModel } from './room-model.ts';
import type { GuestCredentials } from './session-store.ts';
import type { RawEvent } from './timeline.ts';

export interface RoomListener {
  /** The model changed (lines, status, typing, read receipts). */
  changed(model: RoomModel): void;
  connection(online: boolean): void;
  /** The guest is no longer in the room, or no longer exists (the conversation was ended). */
  left(): void;
}

export type SendFailure = MatrixFailure;

export interface RoomConnection {
  /** PUT /send with our transaction id: the homeserver stores a retried message once. */
  send(txnId: string, content: Record<string, unknown>): Promise<string>;
  /** Loads the page of history before the oldest line shown; false once the room's start is reached. */
  loadOlder(): Promise<boolean>;
  readonly hasOlder: boolean;
  stop(): void;
}

/** The guest is not (or no longer) allowed in the room: the conversation is over for this tab. */
export class RoomGoneError extends Error {
  constructor() {
    super('the guest cannot join the room');
    this.name = 'RoomGoneError';
  }
}

/** Lines in the first sync: Synapse caps a sync filter's timeline at 100 (its `filter_timeline_limit`). */
export const TIMELINE_LIMIT = 100;
/** Lines in each page of history: most whole conversations in one more request (Synapse caps /messages at 1000). */
export const HISTORY_PAGE_LIMIT = 500;
/** What the page renders or needs to render: everything else stays on the server. */
const STATE_TYPES = ['m.room.create', 'm.room.member', EventType.Status];
const TIMELINE_TYPES = ['m.room.message', 'm.room.redaction', ...STATE_TYPES];
const LONG_POLL_MS = 30_000;

export function syncFilter(roomId: string): string {
  return JSON.stringify({
    presence: { not_types: ['*'] },
    account_data: { not_types: ['*'] },
    room: {
      rooms: [roomId],
      timeline: { limit: TIMELINE_LIMIT, types: TIMELINE_TYPES },
      state: { types: STATE_TYPES, lazy_load_members: false },
      ephemeral: { types: ['m.typing', 'm.receipt'] },
      account_data: { not_types: ['*'] },
    },
  });
}

const HISTORY_FILTER = JSON.stringify({ types: TIMELINE_TYPES, lazy_load_members: false });

interface SyncRoom {
  timeline?: { events?: RawEvent[]; limited?: boolean; prev_batch?: string };
  state?: { events?: RawEvent[] };
  ephemeral?: { events?: RawEvent[] };
}
export interface SyncResponse {
  next_batch: string;
  rooms?: { join?: Record<string, SyncRoom>; leave?: Record<string, SyncRoom>; invite?: Record<string, unknown> };
}
export interface MessagesResponse {
  chunk?: RawEvent[];
  end?: string;
}

export async function connectRoom(
  credentials: GuestCredentials,
  roomId: string,
  listener: RoomListener,
  options: { joined: boolean; fetchImpl?: typeof fetch },
): Promise<RoomConnection> {
  const http: MatrixHttp = createMatrixHttp(credentials.homeserverUrl, credentials.accessToken, options.fetchImpl);
  const model = new RoomModel(credentials.userId);
  const room = `/rooms/${encodeURIComponent(roomId)}`;
  const filter = syncFilter(roomId);
  const abort = new AbortController();
  let stopped = false;
  let prevBatch: string | undefined;

  const join = async (): Promise<void> => {
    try {
      await http.request('POST', `/join/${encodeURIComponent(roomId)}`, { body: {} });
    } catch (error) {
      if (error instanceof MatrixRequestError && (error.httpStatus === 403 || error.httpStatus === 404))
        throw new RoomGoneError();
      throw error;
    }
  };
  const sync = (query: Record<string, string | number | undefined>) =>
    http.request<SyncResponse>('GET', '/sync', {
      query: { filter, set_presence: 'offline', ...query },
      signal: abort.signal,
    });

  // The bot invited the guest when it opened the conversation: join, then one sync gives the room as it is.
  // After a reload the guest is already in: sync straight away, and join only if the room is not there. The
  // history before the sync's last lines is asked for at the same time, from the room's end, so that a long
  // conversation is whole after one round trip instead of two in a row (it is only used if the sync was limited).
  let first: SyncResponse;
  const history = options.joined ? latestHistory() : undefined;
  try {
    if (!options.joined) await join();
    first = await sync({ timeout: 0 });
    if (!first.rooms?.join?.[roomId]) {
      if (first.rooms?.leave?.[roomId] && options.joined) throw new RoomGoneError();
      await join();
      first = await sync({ timeout: 0 });
    }
  } catch (error) {
    // A guest account the service has ended (after the conversation closed) no longer authenticates.
    if (error instanceof MatrixRequestError && error.httpStatus === 401) throw new RoomGoneError();
    throw error;
  }
  const initial = first.rooms?.join?.[roomId];
  if (initial) {
    model.applyState(initial.state?.events ?? []);
    model.applyTimeline(initial.timeline?.events ?? []);
    model.applyEphemeral(initial.ephemeral?.events ?? []);
    if (initial.timeline?.limited) {
      prevBatch = initial.timeline.prev_batch;
      const older = olderThan(initial.timeline.events ?? [], await history);
      if (older) {
        model.applyTimeline(older.events, true);
        prevBatch = older.end;
      }
    }
  }
  listener.changed(model);
  listener.connection(true);

  /** The room's latest page of history, or nothing if it cannot be had (not joined yet, offline). */
  function latestHistory(): Promise<MessagesResponse | undefined> {
    return http
      .request<MessagesResponse>('GET', `${room}/messages`, {
        query: { dir: 'b', limit: HISTORY_PAGE_LIMIT, filter: HISTORY_FILTER },
        signal: abort.signal,
      })
      .catch(() => undefined);
  }

  /** Events a limited incremental sync skipped (after a long time offline), oldest first. */
  async function fillGap(from: string, since: string): Promise<RawEvent[]> {
    const missed: RawEvent[] = [];
    let position: string | undefined = from;
    for (let page = 0; position && page < 10; page++) {
      const response: MessagesResponse = await http.request('GET', `${room}/messages`, {
        query: { dir: 'b', from: position, to: since, limit: TIMELINE_LIMIT, filter: HISTORY_FILTER },
        signal: abort.signal,
      });
      const chunk = response.chunk ?? [];
      if (chunk.length === 0) break;
      missed.push(...chunk);
      position = response.end;
    }
    return missed.reverse();
  }

  async function loop(since: string): Promise<void> {
    let failures = 0;
    while (!stopped) {
      try {
        const response = await sync({ since, timeout: LONG_POLL_MS });
        if (stopped) return;
        failures = 0;
        listener.connection(true);
        if (response.rooms?.leave?.[roomId]) {
          listener.left();
          return;
        }
        const joined = response.rooms?.join?.[roomId];
        if (joined) {
          let events = joined.timeline?.events ?? [];
          if (joined.timeline?.limited && joined.timeline.prev_batch)
            events = [...(await fillGap(joined.timeline.prev_batch, since)), ...events];
          model.applyState(joined.state?.events ?? []);
          model.applyTimeline(events);
          model.applyEphemeral(joined.ephemeral?.events ?? []);
          listener.changed(model);
        }
        since = response.next_batch;
      } catch (error) {
        if (stopped) return;
        // The guest account was ended by the service (conversation closed): nothing more will come.
        if (error instanceof MatrixRequestError && error.httpStatus === 401) {
          listener.left();
          return;
        }
        failures++;
        listener.connection(false);
        await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** failures, 15_000)));
      }
    }
  }
  void loop(first.next_batch);

  let loadingOlder: Promise<boolean> | undefined;
  return {
    get hasOlder() {
      return prevBatch !== undefined;
    },
    async send(txnId, content) {
      const path = `${room}/send/m.room.message/${encodeURIComponent(txnId)}`;
      try {
        const { event_id: eventId } = await http.request<{ event_id: string }>('PUT', path, { body: content });
        const body = typeof content.body === 'string' ? content.body : '';
        model.addSent({ eventId, author: 'me', sender: credentials.userId, body, ts: Date.now(), txnId });
        listener.changed(model);
        return eventId;
      } catch (error) {
        const failure: SendFailure =
          error instanceof MatrixRequestError ? { httpStatus: error.httpStatus, errcode: error.errcode } : {};
        throw failure;
      }
    },
    loadOlder() {
      loadingOlder ??= (async () => {
        try {
          if (!prevBatch) return false;
          const response = await http.request<MessagesResponse>('GET', `${room}/messages`, {
            query: { dir: 'b', from: prevBatch, limit: HISTORY_PAGE_LIMIT, filter: HISTORY_FILTER },
            signal: abort.signal,
          });
          const chunk = response.chunk ?? [];
          prevBatch = chunk.length > 0 ? response.end : undefined;
          model.applyTimeline([...chunk].reverse(), true);
          listener.changed(model);
          return prevBatch !== undefined;
        } finally {
          loadingOlder = undefined;
        }
      })();
      return loadingOlder;
    },
    stop() {
      stopped = true;
      abort.abort();
    },
  };
}

/**
 * What a page of history read from the room's end adds before a sync's timeline, oldest first, and where to
 * read on (`end`, absent at the room's start). Nothing if the page does not reach the timeline's first event
 * (more events came between the two requests than the page holds): reading back from the sync's own `prev_batch`
 * is then the way.
 */
export function olderThan(
  timeline: readonly RawEvent[],
  page: MessagesResponse | undefined,
): { events: RawEvent[]; end?: string } | undefined {
  const first = timeline[0]?.event_id;
  const chunk = page?.chunk ?? [];
  const at = first === undefined ? -1 : chunk.findIndex((event) => event.event_id === first);
  if (at < 0) return undefined;
  return { events: chunk.slice(at + 1).reverse(), end: page?.end };
}
