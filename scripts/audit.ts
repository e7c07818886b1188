/**
 * `npm run audit:deps`: the dependency check CI runs before the tests.
 *
 * 1. The lock file must not hold a banned package (audit-allowlist.json, "banned"): packages with known
 *    vulnerabilities that the root package.json replaces through `overrides`. This part needs no network, so it
 *    also guards machines where the advisory service is out of reach.
 * 2. `npm audit --omit=dev` (what ships) must report no advisory that audit-allowlist.json does not list with a
 *    reason; an allowlist entry past its `reviewBy` date fails too, so that none stays forever.
 *
 * The advisory service is not reachable from every machine (docs/environment.md, "Network"). There the script says
 * loudly that advisories were NOT checked and goes on, unless ESPACE_AUDIT_REQUIRED=1 makes that a failure.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Allowlist {
  advisories: { id: string; package: string; reason: string; reviewBy: string }[];
  banned: { package: string; below?: string; reason: string }[];
}

interface AuditVia {
  source?: number;
  name?: string;
  title?: string;
  url?: string;
  severity?: string;
}

interface AuditReport {
  vulnerabilities?: Record<string, { name: string; severity: string; via: (AuditVia | string)[] }>;
  message?: string;
  statusCode?: number;
  error?: { code?: string; summary?: string };
}

const root = join(import.meta.dirname, '..');
const allowlist = JSON.parse(readFileSync(join(root, 'audit-allowlist.json'), 'utf8')) as Allowlist;
const problems: string[] = [];

/** -1, 0 or 1, comparing dotted numeric versions (pre-release tags are ignored: good enough for a floor). */
function compareVersions(a: string, b: string): number {
  const parts = (v: string) =>
    v
      .split('-')[0]!
      .split('.')
      .map((n) => Number(n) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

// 1. Banned packages in the lock file. An aliased entry (`"request": "npm:@cypress/request@…"`) carries the real
// name in `name`; the folder name is only the alias.
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { name?: string; version?: string; link?: boolean }>;
};
for (const [path, entry] of Object.entries(lock.packages)) {
  if (!path.includes('node_modules/') || entry.link) continue;
  const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  for (const ban of allowlist.banned) {
    if (ban.package !== name) continue;
    if (ban.below && entry.version && compareVersions(entry.version, ban.below) >= 0) continue;
    problems.push(
      `${path} is ${name}@${entry.version ?? '?'}, banned${ban.below ? ` below ${ban.below}` : ''}: ${ban.reason}`,
    );
  }
}
console.log(
  `lock file: ${Object.keys(lock.packages).length} entries checked against ${allowlist.banned.length} banned packages`,
);

// 2. Advisories.
const today = new Date().toISOString().slice(0, 10);
for (const entry of allowlist.advisories) {
  if (entry.reviewBy < today)
    problems.push(`allowlisted ${entry.id} (${entry.package}) was due for review on ${entry.reviewBy}`);
}
const run = spawnSync('npm', ['audit', '--json', '--omit=dev'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
let report: AuditReport | undefined;
try {
  report = JSON.parse(run.stdout) as AuditReport;
} catch {
  report = undefined;
}
if (!report?.vulnerabilities) {
  const why =
    report?.message ?? report?.error?.summary ?? (run.stderr.trim().split('\n').pop() || `exit ${run.status}`);
  const line = `npm audit: the advisory service did not answer (${why}); advisories were NOT checked`;
  if (process.env.ESPACE_AUDIT_REQUIRED === '1') problems.push(line);
  else console.warn(`WARNING: ${line}. Set ESPACE_AUDIT_REQUIRED=1 to make this a failure.`);
} else {
  const allowed = new Set(allowlist.advisories.map((entry) => entry.id));
  const seen = new Set<string>();
  for (const vulnerability of Object.values(report.vulnerabilities)) {
    for (const via of vulnerability.via) {
      if (typeof via === 'string') continue; // "via another vulnerable package": reported under that package
      const id = via.url?.split('/').pop() ?? String(via.source);
      seen.add(id);
      if (!allowed.has(id))
        problems.push(`${via.name ?? vulnerability.name}: ${id} (${via.severity}) ${via.title ?? ''}`.trim());
    }
  }
  for (const entry of allowlist.advisories) {
    if (!seen.has(entry.id))
      console.log(`note: allowlisted ${entry.id} (${entry.package}) is no longer reported; remove it`);
  }
  console.log(`npm audit: ${seen.size} advisories reported, ${allowed.size} allowlisted`);
}

if (problems.length > 0) {
  console.error(`dependency audit failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  console.error('Fix the dependency, or add the advisory to audit-allowlist.json with a reason and a review date.');
  process.exit(1);
}
console.log('dependency audit: ok');
