/**
 * What the static tests read: docker-compose.yml as Compose would interpolate it with deploy/env.example, and
 * just enough of the Caddyfile grammar to simulate the proxy's routing.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { parse } from 'yaml';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

// ---------------------------------------------------------------------------------------------- the file
export interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  ports?: Array<string | { target: number; published?: string | number }>;
  expose?: Array<string | number>;
  environment?: Record<string, string>;
  volumes?: string[];
  networks?: string[];
  network_mode?: string;
  restart?: string;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  entrypoint?: string[];
  command?: string[];
  user?: string;
  init?: boolean;
  mem_limit?: string;
  secrets?: string[];
  profiles?: string[];
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
}
export interface ComposeFile {
  name?: string;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  networks: Record<string, { internal?: boolean }>;
  secrets: Record<string, { file: string }>;
}

/** The settings an operator starts from: deploy/env.example, which docker-compose.yml interpolates. */
export const EXAMPLE_ENV = Object.fromEntries(
  read('deploy/env.example')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);

/** Compose's variable interpolation (${X}, ${X:-default}, ${X:?error}, $$), so we validate what Compose would run. */
export function interpolate(text: string, env: Record<string, string>, missing: string[]): string {
  return text.replace(
    /\$\$|\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}/g,
    (match, name?: string, op?: string, arg?: string) => {
      if (match === '$$') return '$';
      const value = env[name!];
      const unset = op?.startsWith(':') ? !value : value === undefined;
      if (!unset) return value!;
      if (op?.endsWith('-')) return arg ?? '';
      missing.push(name!);
      return '';
    },
  );
}

export const RAW = read('docker-compose.yml');
export const MISSING: string[] = [];
export const COMPOSE = parse(interpolate(RAW, EXAMPLE_ENV, MISSING)) as ComposeFile;
export const services = Object.entries(COMPOSE.services);

// ------------------------------------------------------------------------ the federated profile
/** A service as docker-compose.federated.yml writes it: networks as a map (with aliases), or a list. */
export interface FederatedService extends Omit<Service, 'networks'> {
  networks?: Record<string, { aliases?: string[] } | null> | string[];
}

/** deploy/env.example with deploy/federated.env.example over it: the .env of the federated profile. */
export const FEDERATED_EXAMPLE = Object.fromEntries(
  read('deploy/federated.env.example')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);
export const FEDERATED_ENV: Record<string, string> = { ...EXAMPLE_ENV, ...FEDERATED_EXAMPLE };
export const OVERLAY_MISSING: string[] = [];
// `merge`: the file shares its federation variables through a YAML merge key, as Compose resolves it.
export const OVERLAY = parse(interpolate(read('docker-compose.federated.yml'), FEDERATED_ENV, OVERLAY_MISSING), {
  merge: true,
}) as {
  services: Record<string, FederatedService>;
  networks: Record<string, { internal?: boolean; ipam?: { config: Array<{ subnet: string }> } }>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
};

/**
 * What Compose runs for a service with both files: the base file's definition with the overlay's merged over it,
 * as Compose merges (environment, networks, depends_on by key; secrets by name; anything else replaced).
 */
export function federatedService(name: string): FederatedService & {
  environment: Record<string, string>;
  networks: Record<string, { aliases?: string[] } | null>;
  secrets: string[];
} {
  const base = (COMPOSE.services as Record<string, FederatedService>)[name] ?? {};
  const over = OVERLAY.services[name] ?? {};
  const networks = (value: FederatedService['networks']) =>
    Array.isArray(value) ? Object.fromEntries(value.map((network) => [network, null])) : (value ?? {});
  return {
    ...base,
    ...over,
    environment: { ...base.environment, ...over.environment },
    networks: { ...networks(base.networks), ...networks(over.networks) },
    secrets: [...new Set([...(base.secrets ?? []), ...(over.secrets ?? [])])],
    depends_on: { ...base.depends_on, ...over.depends_on },
  };
}

/** Every service name of either file. */
export const FEDERATED_SERVICES = [...new Set([...Object.keys(COMPOSE.services), ...Object.keys(OVERLAY.services)])];

// --------------------------------------------------------------------------------------- the documentation
/** A Markdown section: its heading line up to the next heading of the same level or above (or the end). */
export function markdownSection(text: string, heading: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => /^#{1,6} /.test(line) && line.replace(/^#+ /, '').trim() === heading);
  expect(start, `a heading "${heading}"`).toBeGreaterThanOrEqual(0);
  const level = /^#+/.exec(lines[start]!)![0].length;
  let end = start + 1;
  let fenced = false;
  for (; end < lines.length; end++) {
    if (lines[end]!.startsWith('```')) fenced = !fenced;
    const match = /^(#+) /.exec(lines[end]!);
    if (!fenced && match && match[1]!.length <= level) break;
  }
  return lines.slice(start, end).join('\n');
}

/** The ```sh blocks of a Markdown text, each with its continued lines (`\` at the end) joined. */
export function shellBlocks(text: string): string[] {
  return [...text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1]!.replace(/\\\n\s*/g, ' '));
}

// ------------------------------------------------------------------------------------------ the proxy
/**
 * The Caddyfile as compose runs it: `{$NAME:default}` becomes its default (the native stack sets those names;
 * compose never does), `{$NAME}` stays as it is.
 */
export function caddyfileForCompose(text: string): string {
  return text.replace(/\{\$([A-Z0-9_]+):([^}]*)\}/g, (_match, _name: string, fallback: string) => fallback);
}

/** The names a Caddyfile takes from the environment, and whether each has a default. */
export function caddyVariables(text: string): Map<string, boolean> {
  const names = new Map<string, boolean>();
  for (const [, name, fallback] of text.matchAll(/\{\$([A-Z0-9_]+)(:[^}]*)?\}/g))
    names.set(name!, (names.get(name!) ?? false) || fallback !== undefined);
  return names;
}

export interface Block {
  head: string;
  lines: string[];
  blocks: Block[];
}

/** Just enough of the Caddyfile grammar for our file: blocks opened by a line ending in `{`, closed by `}`. */
export function parseCaddyfile(text: string): Block {
  const root: Block = { head: '', lines: [], blocks: [] };
  const stack = [root];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    const current = stack.at(-1)!;
    if (line === '}') {
      stack.pop();
    } else if (line.endsWith('{')) {
      const block: Block = { head: line.slice(0, -1).trim(), lines: [], blocks: [] };
      current.blocks.push(block);
      stack.push(block);
    } else {
      current.lines.push(line);
    }
  }
  expect(stack.length, 'unbalanced braces in the Caddyfile').toBe(1);
  return root;
}

export interface Handler {
  matcher: string;
  upstream: string;
}

/** The `handle` blocks of one site, snippets imported, in the order Caddy tries them (longest path first). */
export function handlersOf(site: Block, snippets: Map<string, Block>): Handler[] {
  const imported = site.lines
    .filter((line) => line.startsWith('import '))
    .map((line) => snippets.get(line.split(/\s+/)[1]!));
  const blocks = [site, ...imported]
    .flatMap((block) => block?.blocks ?? [])
    .filter((block) => /^handle(\s|$)/.test(block.head));
  const handlers = blocks.map((block) => {
    const matcher = block.head.replace(/^handle\s*/, '');
    expect(matcher === '' || /^\/\S*$/.test(matcher), `only single path matchers are simulated: "${block.head}"`).toBe(
      true,
    );
    const proxy = block.lines.find((line) => line.startsWith('reverse_proxy '));
    const respond = block.lines.find((line) => line.startsWith('respond'));
    return { matcher, upstream: proxy ? proxy.split(/\s+/)[1]! : (respond ?? 'nothing') };
  });
  return handlers.sort((a, b) =>
    b.matcher === ''
      ? -1
      : a.matcher === ''
        ? 1
        : b.matcher.replace('*', '').length - a.matcher.replace('*', '').length,
  );
}

export function route(handlers: Handler[], path: string): string {
  const lower = path.toLowerCase();
  const hit = handlers.find(({ matcher }) =>
    matcher === ''
      ? true
      : matcher.endsWith('*')
        ? lower.startsWith(matcher.slice(0, -1).toLowerCase())
        : lower === matcher.toLowerCase(),
  );
  return hit?.upstream ?? 'nothing';
}

export interface Dockerfile {
  workdir: string;
  entrypoint: string[];
  cmd: string[];
  /** Sources of COPY instructions taken from the build context (not from another stage). */
  copied: string[];
  /** `npm ci …` commands of the stage the final image copies /app from (or of the final stage). */
  installs: string[];
}

/** The final stage of a Dockerfile, with the install command of the stage it takes /app from. */
export function readDockerfile(path: string): Dockerfile {
  const text = read(path).replace(/\\\n/g, ' ');
  const stages: Array<{ name?: string; lines: string[] }> = [];
  for (const line of text.split('\n').map((raw) => raw.trim())) {
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ ...(from[1] ? { name: from[1] } : {}), lines: [] });
    else stages.at(-1)!.lines.push(line);
  }
  const final = stages.at(-1)!;
  const json = (instruction: string, lines: string[]): string[] => {
    const line = lines.filter((candidate) => candidate.startsWith(`${instruction} `)).at(-1);
    return line ? (JSON.parse(line.slice(instruction.length + 1)) as string[]) : [];
  };
  const workdir =
    final.lines
      .filter((line) => line.startsWith('WORKDIR '))
      .at(-1)
      ?.slice(8) ?? '/';
  const copied = stages
    .flatMap((stage) => stage.lines)
    .filter((line) => /^COPY\s/.test(line) && !/--from=/.test(line))
    .flatMap((line) => line.replace(/--\S+/g, '').trim().split(/\s+/).slice(1, -1));
  const source = /COPY\s+--from=(\S+)\s+\/app\s+\/app/.exec(final.lines.join('\n'))?.[1];
  const installing = source ? stages.find((stage) => stage.name === source)! : final;
  const installs = installing.lines
    .filter((line) => line.startsWith('RUN '))
    .flatMap((line) => line.split('&&'))
    .map((part) => part.replace(/^RUN\s+/, '').trim())
    .filter((part) => part.startsWith('npm ci'));
  return { workdir, entrypoint: json('ENTRYPOINT', final.lines), cmd: json('CMD', final.lines), copied, installs };
}
