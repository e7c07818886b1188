/**
 * The young person's unsent messages. Each message gets its Matrix transaction id when it is typed and keeps
 * it for life (it is saved with the session), so a retry, a reconnection or a reload re-sends with the same
 * id and the homeserver stores it once. Messages leave one at a time, in the order they were typed.
 */
export type DeliveryState = 'queued' | 'sending' | 'failed';

export interface OutboxItem {
  txnId: string;
  /** m.room.message content, including the structured triage answer when sent by button. */
  content: { msgtype: 'm.text'; body: string } & Record<string, unknown>;
  state: DeliveryState;
  createdAt: number;
}

export function enqueue(
  outbox: readonly OutboxItem[],
  txnId: string,
  content: OutboxItem['content'],
  now: number,
): OutboxItem[] {
  return [...outbox, { txnId, content, state: 'queued', createdAt: now }];
}

/** The next message to send, or none while one is already on its way (that keeps the order). */
export function nextToSend(outbox: readonly OutboxItem[]): OutboxItem | undefined {
  if (outbox.some((item) => item.state === 'sending')) return undefined;
  return outbox.find((item) => item.state === 'queued');
}

export function setState(outbox: readonly OutboxItem[], txnId: string, state: DeliveryState): OutboxItem[] {
  return outbox.map((item) => (item.txnId === txnId ? { ...item, state } : item));
}

/** Once the homeserver has the event, it leaves the outbox: the timeline shows it from then on. */
export function remove(outbox: readonly OutboxItem[], txnId: string): OutboxItem[] {
  return outbox.filter((item) => item.txnId !== txnId);
}

/** After a reload, a message that was "sending" may or may not have arrived: send it again, same id. */
export function afterReload(outbox: readonly OutboxItem[]): OutboxItem[] {
  return outbox.map((item) => (item.state === 'sending' ? { ...item, state: 'queued' } : item));
}

/** How a failed send is handled: offline and server hiccups wait for the network; refusals need the user. */
export type SendFailure = 'retry-later' | 'needs-user';

export function classifySendError(error: { httpStatus?: number; errcode?: string } | undefined): SendFailure {
  if (!error || error.httpStatus === undefined) return 'retry-later';
  if (error.errcode === 'M_LIMIT_EXCEEDED' || error.httpStatus === 429) return 'retry-later';
  if (error.httpStatus >= 500) return 'retry-later';
  return 'needs-user';
}
