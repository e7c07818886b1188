import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** The bot package folder: default triage and routing files live there. */
export const BOT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const Seconds = z.number().positive();

export const BotConfig = z.object({
  homeserverUrl: z.url().transform((url) => url.replace(/\/+$/, '')),
  /** Holds bot-credentials.json (written by the bootstrap) and the bot's own sync position. */
  stateDir: z.string().min(1),
  listen: z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      /** 0 picks a free port (tests). */
      port: z.number().int().min(0).max(65535).default(8090),
    })
    .prefault({}),
  /** Origins allowed by CORS, e.g. https://espace-mineurs.fr. Nothing else may call the API from a browser. */
  webOrigins: z.array(z.url()).default([]),
  /** How many reverse proxies sit in front of the bot (express `trust proxy`), so rate limits see the real client. */
  trustProxy: z.number().int().min(0).max(5).default(0),
  /**
   * The deletion journal (retention/journal.ts): every room deleted with purge is appended there, and replayed at
   * start. Keep it outside the backup set (deploy/README.md, "Backups"); without it, a restore brings back what
   * was deleted since the backup.
   */
  deletionJournal: z.string().min(1).optional(),
  triageFile: z.string().default(join(BOT_DIR, 'triage.yaml')),
  routingFile: z.string().default(join(BOT_DIR, 'routing.yaml')),
  timeouts: z
    .object({
      /** A young person silent this long in triage ends the conversation as abandoned. */
      triageSilence: Seconds.default(30 * 60),
      /** …and this long while waiting in the queue. */
      queueSilence: Seconds.default(60 * 60),
      /** Waiting longer than this in one force's queue moves the conversation to the other force (once). */
      overflow: Seconds.default(10 * 60),
      /** A warm transfer not answered within this time is withdrawn. */
      warmTransfer: Seconds.default(5 * 60),
      /** After closing, the guest account is locked then deactivated after this grace period. */
      guestGrace: Seconds.default(60 * 60),
      /** How often timeouts are checked. */
      sweepInterval: Seconds.default(5),
    })
    .prefault({}),
  retention: z
    .object({
      /**
       * How long an ended conversation is kept before its room is deleted with purge (unless under legal hold).
       * 90 days: long enough for a complaint or a report to the prosecutor to follow the conversation and for a
       * supervisor to place a legal hold, short enough to honour minimal data. Tests use seconds.
       */
      period: Seconds.default(90 * 24 * 3600),
      /** How often ended conversations are checked for deletion (deletion is slow: not at every sweep). */
      sweepInterval: Seconds.default(10 * 60),
      /** A request to lift anonymity not decided within this time expires (grave danger: minutes, not hours). */
      disclosureTtl: Seconds.default(30 * 60),
      /**
       * How long a disclosure room (it holds connection IPs) is kept before it is deleted with purge: as long as
       * Synapse keeps the addresses themselves (user_ips_max_age, 7 days), no longer.
       */
      disclosureRoomPeriod: Seconds.default(7 * 24 * 3600),
      /**
       * Messages in the queue and supervisors rooms (queue notices, agents' notes, commands with their reasons and
       * comments, disclosure notices) are purged by Synapse after this: `m.room.retention` on those rooms, set at
       * start. 120 days: a conversation's period (90 days) plus a margin for the longest conversation.
       */
      staffRoomPeriod: Seconds.default(120 * 24 * 3600),
      /**
       * An export posted in the supervisors room is taken back (messages redacted, files deleted from the media
       * store) after this, or when its conversation is deleted: time enough to download it for the procedure.
       */
      exportPeriod: Seconds.default(7 * 24 * 3600),
    })
    .prefault({}),
  rateLimits: z
    .object({
      /**
       * Conversation openings per client address (an IPv6 client by its /64) per window that go through at once:
       * Synapse's guest-registration burst (`rc_registration.burst_count`), so a class that registers together also
       * opens together. Past it each opening waits a little longer (`slowdownStepMs` more each time, at most
       * `slowdownMaxMs`) and is marked for agents; docs/personal-data.md explains the figures.
       */
      openPerIp: z.number().int().min(1).default(30),
      /**
       * Past this many openings per address per window, refused until the window ends: as many guests as Synapse
       * registers from one address in a window (burst 30 + 0.5/s × 600 s = 330), so the bot never refuses someone
       * Synapse let in, and no school or carrier reaches it.
       */
      openPerIpHard: z.number().int().min(1).default(330),
      /** Synapse's pace past its burst (one guest every 2 s from one address). */
      slowdownStepMs: z.number().int().min(0).default(2000),
      slowdownMaxMs: z.number().int().min(0).max(60_000).default(20_000),
      /** Conversation openings (and API calls) per guest per window. */
      openPerGuest: z.number().int().min(1).default(10),
      windowSeconds: Seconds.default(600),
    })
    .prefault({}),
  readiness: z
    .object({
      /**
       * GET /readyz fails when the last successful sync is older than this. Longer than the 25 s long poll an idle
       * homeserver holds open, so a quiet night is not an outage.
       */
      maxSyncAge: z.number().min(30).default(90),
      /** …or when this many audit entries (one force) wait in the outbox for their audit room. */
      maxAuditBacklog: z.number().int().min(1).default(500),
    })
    .prefault({}),
  intake: z
    .object({
      /**
       * Ready rooms kept ahead of demand (intake/pool.ts): a burst up to this size opens without a createRoom.
       * Each is an empty room of the bot's (about ten events, nothing personal); 0 turns the pool off.
       */
      poolSize: z.number().int().min(0).max(1000).default(50),
      /** Openings handled at once; the others wait their turn in arrival order (intake/admission.ts). */
      admissionConcurrency: z.number().int().min(1).max(100).default(4),
    })
    .prefault({}),
  /** Agents without a duty record take this many conversations at once once they claim. */
  defaultCapacity: z.number().int().min(1).max(10).default(3),
  /**
   * Which queue notices ring stock Element (m.text mentioning the force's agents on duty) rather than arrive as a
   * silent m.notice: `urgent` ones only (default), or `all` new and requeued conversations (bot/README.md).
   */
  queueAlerts: z.enum(['urgent', 'all']).default('urgent'),
  /** Used for estimated waits until real waits have been measured. */
  defaultWaitSeconds: z.number().int().min(1).default(180),
});
export type BotConfig = z.infer<typeof BotConfig>;
export type BotConfigInput = z.input<typeof BotConfig>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function numberFrom(name: string, value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new ConfigError(`${name}: expected a number`);
  return parsed;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let cursor = target;
  for (const key of path.slice(0, -1)) {
    const next = cursor[key];
    if (typeof next !== 'object' || next === null) cursor[key] = {};
    cursor = cursor[key] as Record<string, unknown>;
  }
  cursor[path[path.length - 1]!] = value;
}

/** Environment variables and the config key each one sets. Numbers are parsed; lists are comma-separated. */
const ENV: Array<[string, string[], 'string' | 'number' | 'list']> = [
  ['ESPACE_HOMESERVER_URL', ['homeserverUrl'], 'string'],
  ['ESPACE_STATE_DIR', ['stateDir'], 'string'],
  ['ESPACE_BOT_HOST', ['listen', 'host'], 'string'],
  ['ESPACE_BOT_PORT', ['listen', 'port'], 'number'],
  ['ESPACE_WEB_ORIGINS', ['webOrigins'], 'list'],
  ['ESPACE_TRUST_PROXY', ['trustProxy'], 'number'],
  ['ESPACE_DELETION_JOURNAL', ['deletionJournal'], 'string'],
  ['ESPACE_TRIAGE_FILE', ['triageFile'], 'string'],
  ['ESPACE_ROUTING_FILE', ['routingFile'], 'string'],
  ['ESPACE_TIMEOUT_TRIAGE_SILENCE', ['timeouts', 'triageSilence'], 'number'],
  ['ESPACE_TIMEOUT_QUEUE_SILENCE', ['timeouts', 'queueSilence'], 'number'],
  ['ESPACE_TIMEOUT_OVERFLOW', ['timeouts', 'overflow'], 'number'],
  ['ESPACE_TIMEOUT_WARM_TRANSFER', ['timeouts', 'warmTransfer'], 'number'],
  ['ESPACE_TIMEOUT_GUEST_GRACE', ['timeouts', 'guestGrace'], 'number'],
  ['ESPACE_TIMEOUT_SWEEP_INTERVAL', ['timeouts', 'sweepInterval'], 'number'],
  ['ESPACE_RETENTION_PERIOD', ['retention', 'period'], 'number'],
  ['ESPACE_RETENTION_SWEEP_INTERVAL', ['retention', 'sweepInterval'], 'number'],
  ['ESPACE_DISCLOSURE_TTL', ['retention', 'disclosureTtl'], 'number'],
  ['ESPACE_DISCLOSURE_ROOM_PERIOD', ['retention', 'disclosureRoomPeriod'], 'number'],
  ['ESPACE_STAFF_ROOM_PERIOD', ['retention', 'staffRoomPeriod'], 'number'],
  ['ESPACE_EXPORT_PERIOD', ['retention', 'exportPeriod'], 'number'],
  ['ESPACE_RATE_OPEN_PER_IP', ['rateLimits', 'openPerIp'], 'number'],
  ['ESPACE_RATE_OPEN_PER_IP_HARD', ['rateLimits', 'openPerIpHard'], 'number'],
  ['ESPACE_RATE_SLOWDOWN_STEP_MS', ['rateLimits', 'slowdownStepMs'], 'number'],
  ['ESPACE_RATE_SLOWDOWN_MAX_MS', ['rateLimits', 'slowdownMaxMs'], 'number'],
  ['ESPACE_RATE_OPEN_PER_GUEST', ['rateLimits', 'openPerGuest'], 'number'],
  ['ESPACE_RATE_WINDOW', ['rateLimits', 'windowSeconds'], 'number'],
  ['ESPACE_ROOM_POOL_SIZE', ['intake', 'poolSize'], 'number'],
  ['ESPACE_ADMISSION_CONCURRENCY', ['intake', 'admissionConcurrency'], 'number'],
  ['ESPACE_DEFAULT_CAPACITY', ['defaultCapacity'], 'number'],
  ['ESPACE_QUEUE_ALERTS', ['queueAlerts'], 'string'],
  ['ESPACE_READY_MAX_SYNC_AGE', ['readiness', 'maxSyncAge'], 'number'],
  ['ESPACE_READY_MAX_AUDIT_BACKLOG', ['readiness', 'maxAuditBacklog'], 'number'],
];

/**
 * Reads the configuration: the optional file named by ESPACE_BOT_CONFIG (YAML or JSON), then environment
 * variables (each overriding one key), then `overrides` (tests). Fails with the key path and what is wrong.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, unknown> = {}): BotConfig {
  let raw: Record<string, unknown> = {};
  const file = env.ESPACE_BOT_CONFIG;
  if (file) {
    try {
      const parsed: unknown = parseYaml(readFileSync(file, 'utf8'));
      if (parsed !== null && parsed !== undefined) {
        if (typeof parsed !== 'object' || Array.isArray(parsed))
          throw new ConfigError(`${file}: expected a mapping at the top level`);
        raw = parsed as Record<string, unknown>;
      }
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(`${file}: cannot read (${(error as Error).message})`);
    }
  }
  for (const [name, path, kind] of ENV) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const parsed =
      kind === 'number'
        ? numberFrom(name, value)
        : kind === 'list'
          ? value
              .split(',')
              .map((item) => item.trim())
              .filter(Boolean)
          : value;
    setPath(raw, path, parsed);
  }
  for (const [key, value] of Object.entries(overrides)) {
    raw[key] =
      typeof value === 'object' && value !== null && !Array.isArray(value) && typeof raw[key] === 'object'
        ? { ...(raw[key] as object), ...value }
        : value;
  }
  return parseConfig(raw, file ? dirname(resolve(file)) : process.cwd());
}

export function parseConfig(raw: unknown, baseDir = process.cwd()): BotConfig {
  const result = BotConfig.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue && issue.path.length > 0 ? issue.path.join('.') : '(config)';
    throw new ConfigError(`bot configuration: ${path}: ${issue?.message ?? 'invalid'}`);
  }
  const config = result.data;
  if (config.rateLimits.openPerIpHard < config.rateLimits.openPerIp) {
    throw new ConfigError(
      'bot configuration: rateLimits.openPerIpHard: must be at least rateLimits.openPerIp (the soft limit)',
    );
  }
  const absolute = (path: string) => (isAbsolute(path) ? path : resolve(baseDir, path));
  return {
    ...config,
    stateDir: absolute(config.stateDir),
    ...(config.deletionJournal ? { deletionJournal: absolute(config.deletionJournal) } : {}),
    triageFile: absolute(config.triageFile),
    routingFile: absolute(config.routingFile),
  };
}
