import { loadConfig, start } from './index.ts';
import { logger } from './log.ts';

const log = logger.child({ module: 'main' });

/** Process entry point: configuration from the environment, signals, nothing else. */
try {
  const bot = await start(loadConfig(process.env));
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    bot.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: (error as Error).message }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // Tests and orchestrators wait for this line on stdout.
  process.stdout.write(`${JSON.stringify({ ready: true, url: bot.url })}\n`);
} catch (error) {
  log.fatal({ err: error instanceof Error ? error.message : String(error) }, 'cannot start');
  process.exitCode = 1;
}
