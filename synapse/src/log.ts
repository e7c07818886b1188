import { pino, type Logger } from 'pino';

/**
 * The root logger of the homeserver tooling. Modules take a child (`logger.child({ module: '…' })`).
 * Nothing here ever logs a secret, a token or a password: values are described, not printed.
 */
export const logger: Logger = pino({
  name: 'synapse',
  level: process.env.ESPACE_LOG_LEVEL ?? (process.env.VITEST ? 'warn' : 'info'),
  redact: { paths: ['*.password', '*.token', '*.access_token', '*.secret'], censor: '[redacted]' },
});
