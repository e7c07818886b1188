import { LogLevel, LogService } from 'matrix-bot-sdk';
import { pino, type Logger } from 'pino';

/** Fields never written to a log, whatever module passes them (docs/personal-data.md, row 8). */
export const REDACTED_KEYS = ['password', 'accessToken', 'access_token', 'token', 'body', 'displayname', 'ip'] as const;

/**
 * The bot's root logger. Every module takes a child: `logger.child({ module: 'claims' })`.
 * Never pass message bodies, tokens, passwords, display names or IPs to it: log ids, counts, codes.
 */
export const logger: Logger = pino({
  name: 'bot',
  level: process.env.ESPACE_LOG_LEVEL ?? (process.env.VITEST ? 'warn' : 'info'),
  // Each key at the top level of a log call (`log.info({ ip })`) and one level down (`{ request: { ip } }`).
  redact: {
    paths: REDACTED_KEYS.flatMap((key) => [key, `*.${key}`]),
    censor: '[redacted]',
  },
});

// Access tokens minted by Synapse start with syt_; they must never reach a log line, whatever printed them.
const TOKEN = /syt_[A-Za-z0-9_-]+/g;

function describe(parts: unknown[]): string {
  return parts
    .map((part) =>
      part instanceof Error ? `${part.name}: ${part.message}` : typeof part === 'string' ? part : safeJson(part),
    )
    .join(' ')
    .replace(TOKEN, 'syt_[redacted]')
    .slice(0, 1000);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

let bridged = false;

/**
 * Routes matrix-bot-sdk's LogService into pino. Only warnings and errors pass: at info level and below the SDK
 * prints request and sync payloads, which carry young people's messages.
 */
export function bridgeMatrixBotSdkLogs(): void {
  if (bridged) return;
  bridged = true;
  const sdk = logger.child({ module: 'matrix-bot-sdk' });
  LogService.setLevel(LogLevel.WARN);
  LogService.setLogger({
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: (module: string, ...rest: unknown[]) => sdk.warn({ sdkModule: module }, describe(rest)),
    // The HTTP client reports every non-2xx answer (a 404 the caller expects included) as an error; the caller
    // decides what matters and logs it, so these stay at debug.
    error: (module: string, ...rest: unknown[]) =>
      module === 'MatrixHttpClient'
        ? sdk.debug({ sdkModule: module }, describe(rest))
        : sdk.error({ sdkModule: module }, describe(rest)),
  });
}
