/**
 * One Matrix port: outside bot/src/matrix/, no module of the bot builds a homeserver URL (client, media or
 * admin API), calls fetch, or drives a matrix-bot-sdk client by hand (`doRequest`, `new MatrixClient`). They go
 * through the typed operations of matrix/client.ts, matrix/homeserver.ts and matrix/admin.ts, which carry the
 * retry policy, stable transaction ids and typed errors (bot/README.md, "Layout"). Comments are not code and are
 * left out of the check.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'bot/src');
const PORT = join(SRC, 'matrix');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return path === PORT ? [] : sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.includes('.test-support.') ? [path] : [];
  });
}

/** The code of a module without its comments (a comment may name an API path to explain it). */
export function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const FORBIDDEN: Array<[string, RegExp]> = [
  ['a homeserver URL', /\/_matrix\/|\/_synapse\//],
  ['fetch', /\bfetch\s*\(/],
  ['doRequest', /\.doRequest\s*\(/],
  ['a raw matrix-bot-sdk client', /new\s+MatrixClient\s*\(/],
];

export function violations(files: Array<{ path: string; text: string }>): string[] {
  const found: string[] = [];
  for (const { path, text } of files) {
    const code = withoutComments(text);
    for (const [what, pattern] of FORBIDDEN) if (pattern.test(code)) found.push(`${path}: ${what}`);
  }
  return found;
}

describe('the bot reaches the homeserver through matrix/ only', () => {
  it('finds what it looks for (the check can fail)', () => {
    expect(
      violations([
        {
          path: 'x.ts',
          text: "await fetch(`${root}/_matrix/client/v3/sync`);\nclient.doRequest('GET', p);\nnew MatrixClient(u, t);",
        },
      ]),
    ).toEqual(['x.ts: a homeserver URL', 'x.ts: fetch', 'x.ts: doRequest', 'x.ts: a raw matrix-bot-sdk client']);
    expect(
      violations([
        {
          path: 'y.ts',
          text: '// GET /_matrix/client/v3/sync is done by matrix/sync.ts\n/** fetch( in prose */\nconst url = "http://x";',
        },
      ]),
    ).toEqual([]);
  });

  it('no module outside bot/src/matrix builds a homeserver URL, calls fetch or drives matrix-bot-sdk by hand', () => {
    const files = sourceFiles(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }));
    expect(files.length).toBeGreaterThan(50);
    expect(violations(files)).toEqual([]);
  });
});
