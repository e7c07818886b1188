import { describe, expect, it } from 'vitest';
import { FakeHomeserver } from './fake-homeserver.test-support.ts';
import { HomeserverError, isNotFoundError, readTimeline } from './homeserver.ts';

describe('readTimeline', () => {
  it('follows /messages pagination forwards until the end, with the type filter', async () => {
    const pages: Record<string, { chunk: Array<{ event_id: string }>; end?: string }> = {
      start: { chunk: [{ event_id: '$1' }, { event_id: '$2' }], end: 't2' },
      t2: { chunk: [{ event_id: '$3' }, { event_id: '$4' }], end: 't4' },
      t4: { chunk: [{ event_id: '$5' }] },
    };
    const seen: Array<Record<string, unknown> | undefined> = [];
    const hs = {
      userId: '@bot:t',
      async request<T>(_method: string, _path: string, options: { qs?: Record<string, unknown> } = {}): Promise<T> {
        seen.push(options.qs);
        return pages[(options.qs?.from as string | undefined) ?? 'start'] as T;
      },
    };
    const events = await readTimeline<{ event_id: string }>(hs, '!r:t', { types: ['x.audit'], pageSize: 2 });
    expect(events.map((event) => event.event_id)).toEqual(['$1', '$2', '$3', '$4', '$5']);
    expect(seen[0]).toEqual({ dir: 'f', limit: 2, filter: '{"types":["x.audit"]}' });
    expect(seen.map((qs) => qs?.from)).toEqual([undefined, 't2', 't4']);
  });

  it('stops on an empty page even when the server gives an end token', async () => {
    const hs = new FakeHomeserver().on('GET /_matrix/client/v3/rooms/', () => ({ chunk: [], end: 'again' }));
    expect(await readTimeline(hs, '!r:t')).toEqual([]);
  });
});

describe('errors', () => {
  it('matches not found on status or errcode, like the bot does for matrix-bot-sdk errors', () => {
    expect(isNotFoundError(new HomeserverError(404, 'M_UNRECOGNIZED', 'x'))).toBe(true);
    expect(isNotFoundError(new HomeserverError(400, 'M_NOT_FOUND', 'x'))).toBe(true);
    expect(isNotFoundError(new HomeserverError(403, 'M_FORBIDDEN', 'x'))).toBe(false);
  });
});
