import { describe, expect, it } from 'vitest';
import { afterReload, classifySendError, enqueue, nextToSend, remove, setState, type OutboxItem } from './outbox.ts';

const text = (body: string): OutboxItem['content'] => ({ msgtype: 'm.text', body });

describe('outbox', () => {
  it('sends in typing order, one at a time', () => {
    let outbox = enqueue([], 't1', text('a'), 1);
    outbox = enqueue(outbox, 't2', text('b'), 2);
    expect(nextToSend(outbox)?.txnId).toBe('t1');
    outbox = setState(outbox, 't1', 'sending');
    expect(nextToSend(outbox)).toBeUndefined();
    outbox = remove(outbox, 't1');
    expect(nextToSend(outbox)?.txnId).toBe('t2');
  });

  it('skips failed messages without losing them', () => {
    let outbox = enqueue([], 't1', text('a'), 1);
    outbox = enqueue(outbox, 't2', text('b'), 2);
    outbox = setState(outbox, 't1', 'failed');
    expect(nextToSend(outbox)?.txnId).toBe('t2');
    expect(outbox.map((item) => item.txnId)).toEqual(['t1', 't2']);
  });

  it('re-queues a message that was in flight when the page reloaded, keeping its transaction id', () => {
    const outbox = afterReload(setState(enqueue([], 't1', text('a'), 1), 't1', 'sending'));
    expect(outbox).toEqual([{ txnId: 't1', content: text('a'), state: 'queued', createdAt: 1 }]);
  });
});

describe('classifySendError', () => {
  it('waits for the network when there was no answer or the server struggled', () => {
    expect(classifySendError(undefined)).toBe('retry-later');
    expect(classifySendError({})).toBe('retry-later');
    expect(classifySendError({ httpStatus: 502 })).toBe('retry-later');
    expect(classifySendError({ httpStatus: 429, errcode: 'M_LIMIT_EXCEEDED' })).toBe('retry-later');
  });

  it('asks the user when the homeserver refused the message', () => {
    expect(classifySendError({ httpStatus: 403, errcode: 'M_FORBIDDEN' })).toBe('needs-user');
  });
});
