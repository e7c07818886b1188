/**
 * Where the bot's time goes during a benchmark run: wraps the in-process bot's Matrix requests and its locks
 * (bench only; the bot itself is unchanged) and tallies durations by kind of request and room, and lock waits by
 * kind of lock. Ids, types and durations only.
 */
import { KeyedQueue } from '../src/runtime/locks.ts';
import { AuditMirror } from '../src/audit/mirror.ts';
import { Matrix } from '../src/matrix/client.ts';
import { percentile } from './bench-support.ts';

const samples = new Map<string, number[]>();

function record(label: string, ms: number): void {
  const list = samples.get(label) ?? [];
  list.push(ms);
  samples.set(label, list);
}

/** Installs the probes; `roomKind` names a room (queue, audit, young person's…) from its id. */
export function installProbe(roomKind: (roomId: string) => string): void {
  const request = Matrix.prototype.request;
  Matrix.prototype.request = async function probed<T>(
    this: Matrix,
    method: string,
    path: string,
    options?: Parameters<typeof request>[2],
  ): Promise<T> {
    const match = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/([a-z_]+)(?:\/([^/]+))?/.exec(path);
    const label = match
      ? `${method} ${match[2]}${match[3] && match[2] !== 'messages' ? ` ${decodeURIComponent(match[3])}` : ''} — ${roomKind(decodeURIComponent(match[1]!))}`
      : `${method} ${path.replace(/\/[!@#][^/]*/g, '/…').slice(0, 60)}`;
    const t0 = performance.now();
    try {
      return (await request.call(this, method, path, options)) as T;
    } finally {
      record(`bot → Synapse: ${label}`, performance.now() - t0);
    }
  };
  const append = AuditMirror.prototype.append;
  AuditMirror.prototype.append = async function probed(
    this: AuditMirror,
    ...args: Parameters<typeof append>
  ): Promise<boolean> {
    const t0 = performance.now();
    try {
      return await append.apply(this, args);
    } finally {
      record('audit mirror append (queued + fsync)', performance.now() - t0);
    }
  };
  const run = KeyedQueue.prototype.run;
  KeyedQueue.prototype.run = function probed<T>(this: KeyedQueue, key: string, task: () => Promise<T>): Promise<T> {
    const queuedAt = performance.now();
    return run.call(this, key, () => {
      record(`lock wait: ${key.split(':')[0]}`, performance.now() - queuedAt);
      return task();
    }) as Promise<T>;
  };
}

/** The tallies since the last call, as table lines (count, p50, p95, total seconds), busiest first; then cleared. */
export function probeReport(): string[] {
  const lines = ['| bot-side (ms) | n | p50 | p95 | total s |', '|---|---|---|---|---|'];
  for (const [label, values] of [...samples].sort(
    (a, b) => b[1].reduce((x, y) => x + y, 0) - a[1].reduce((x, y) => x + y, 0),
  )) {
    const total = values.reduce((x, y) => x + y, 0) / 1000;
    lines.push(
      `| ${label} | ${values.length} | ${percentile(values, 50).toFixed(0)} | ${percentile(values, 95).toFixed(0)} | ${total.toFixed(1)} |`,
    );
  }
  samples.clear();
  return lines;
}
