/**
 * Prints, for each route of the last build, the JavaScript a browser downloads to show it (gzip and Brotli),
 * and the JavaScript it loads by dynamic import (on /chat: the conversation's code, fetched while the intro is
 * read). Fails when a page outside the chat goes over the budget, or when /chat goes over its own (issue 15:
 * 40 KB Brotli before the tap, 30 KB Brotli more for everything the chat needs): young people visit on cheap
 * phones and tight data plans.
 *
 * Usage: npm run build -w web && npm run size -w web
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const BUDGET_BYTES = 60 * 1024;
/** /chat: what the intro needs, and what the conversation adds, in Brotli (what the production proxy sends). */
const CHAT_INITIAL_BROTLI = 40 * 1024;
const CHAT_LAZY_BROTLI = 30 * 1024;
/** Routes allowed over the gzip budget, and why. */
const EXEMPT: Record<string, string> = {};

const root = resolve(import.meta.dirname, '..');
const output = join(root, '.svelte-kit', 'output');
const clientDir = join(output, 'client');

interface ServerRoute {
  id: string;
  page: { layouts: (number | undefined)[]; leaf: number } | null;
}
interface ServerManifest {
  client: { imports: string[] };
  nodes: unknown[];
  routes: ServerRoute[];
}
interface ViteChunk {
  file: string;
  imports?: string[];
  dynamicImports?: string[];
}

function fail(message: string): never {
  process.stderr.write(`bundle-size: ${message}\n`);
  process.exit(2);
}

const manifestPath = join(output, 'server', 'manifest.js');
const viteManifestPath = join(clientDir, '.vite', 'manifest.json');
if (!existsSync(manifestPath) || !existsSync(viteManifestPath))
  fail('no build found; run `npm run build -w web` first');

const serverManifest = (await import(pathToFileURL(manifestPath).href)).manifest as ServerManifest & {
  _?: ServerManifest;
};
const { client, routes } = serverManifest._ ?? serverManifest;
const viteManifest = JSON.parse(readFileSync(viteManifestPath, 'utf8')) as Record<string, ViteChunk>;

const sizeCache = new Map<string, { gzip: number; brotli: number }>();
function sizes(file: string): { gzip: number; brotli: number } {
  let size = sizeCache.get(file);
  if (size === undefined) {
    const bytes = readFileSync(join(clientDir, file));
    size = {
      gzip: gzipSync(bytes, { level: 9 }).length,
      brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    };
    sizeCache.set(file, size);
  }
  return size;
}
const gzipSize = (file: string): number => sizes(file).gzip;
const brotliSize = (file: string): number => sizes(file).brotli;

async function nodeImports(index: number): Promise<string[]> {
  const node = (await import(pathToFileURL(join(output, 'server', 'nodes', `${index}.js`)).href)) as {
    imports?: string[];
  };
  return node.imports ?? [];
}

const byFile = new Map(Object.values(viteManifest).map((chunk) => [chunk.file, chunk]));

/** Files reachable from `files` through dynamic imports (and their static imports), minus those already loaded. */
function lazyFiles(files: Iterable<string>, loaded: Set<string>): Set<string> {
  const lazy = new Set<string>();
  const visit = (key: string, viaDynamic: boolean): void => {
    const chunk = viteManifest[key];
    if (!chunk) return;
    if (viaDynamic && !loaded.has(chunk.file)) {
      if (lazy.has(chunk.file)) return;
      lazy.add(chunk.file);
    }
    for (const next of chunk.imports ?? []) if (viaDynamic) visit(next, true);
    for (const next of chunk.dynamicImports ?? []) visit(next, true);
  };
  for (const file of files) {
    const entry = Object.entries(viteManifest).find(([, chunk]) => chunk.file === file);
    if (entry) visit(entry[0], false);
  }
  return lazy;
}

// Kit's own start-up chunks, loaded by every page. Its router dynamically imports every route's node, so
// lazy sizes follow dynamic imports from the route's own nodes only.
const startup = new Set(client.imports);

const rows: {
  route: string;
  initial: number;
  lazy: number;
  initialBr: number;
  lazyBr: number;
  over: boolean;
  note: string;
}[] = [];
for (const route of routes) {
  if (!route.page) continue;
  const nodes = [...route.page.layouts.filter((n): n is number => n !== undefined), route.page.leaf];
  const files = new Set(startup);
  for (const index of nodes) for (const file of await nodeImports(index)) files.add(file);
  const js = [...files].filter((file) => file.endsWith('.js') && byFile.has(file));
  const initial = js.reduce((sum, file) => sum + gzipSize(file), 0);
  const own = new Set<string>();
  for (const index of nodes) for (const file of await nodeImports(index)) own.add(file);
  const lazy = [...lazyFiles(own, files)].filter((file) => file.endsWith('.js'));
  const lazySize = lazy.reduce((sum, file) => sum + gzipSize(file), 0);
  const initialBr = js.reduce((sum, file) => sum + brotliSize(file), 0);
  const lazyBr = lazy.reduce((sum, file) => sum + brotliSize(file), 0);
  const exempt = EXEMPT[route.id];
  const over =
    route.id === '/chat'
      ? initialBr > CHAT_INITIAL_BROTLI || lazyBr > CHAT_LAZY_BROTLI
      : initial > BUDGET_BYTES && !exempt;
  rows.push({ route: route.id, initial, lazy: lazySize, initialBr, lazyBr, over, note: exempt ?? '' });
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
const width = Math.max(...rows.map((row) => row.route.length), 5);
process.stdout.write(
  `${'route'.padEnd(width)}  ${'initial JS gzip'.padStart(15)}  ${'Brotli'.padStart(8)}  ${'lazy JS gzip'.padStart(12)}  ${'Brotli'.padStart(8)}\n`,
);
for (const row of rows) {
  const flag = row.over ? '  OVER BUDGET' : row.note ? `  (${row.note})` : '';
  process.stdout.write(
    `${row.route.padEnd(width)}  ${kb(row.initial).padStart(15)}  ${kb(row.initialBr).padStart(8)}  ${kb(row.lazy).padStart(12)}  ${kb(row.lazyBr).padStart(8)}${flag}\n`,
  );
}
process.stdout.write(
  `budget: ${kb(BUDGET_BYTES)} gzip of initial JS per page; /chat ${kb(CHAT_INITIAL_BROTLI)} Brotli before the tap + ${kb(CHAT_LAZY_BROTLI)} Brotli for the conversation\n`,
);
if (rows.some((row) => row.over)) process.exit(1);
