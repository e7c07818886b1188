/**
 * What `npm start` (up.ts) and `npm run start:production` (production.ts) share: the services started so far,
 * stopped in reverse order on Ctrl-C, SIGTERM or a failure, each stop allowed to fail without stopping the rest.
 */
export type Stoppable = { name: string; stop: () => Promise<void> };

export const running: Stoppable[] = [];
let shuttingDown = false;

export function isShuttingDown(): boolean {
  return shuttingDown;
}

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function shutdown(code: number, done?: string): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    say('\nArrêt…');
    for (const service of running.reverse()) {
      try {
        await service.stop();
      } catch (error) {
        process.stderr.write(`stopping ${service.name} failed: ${(error as Error).message}\n`);
      }
    }
    if (done) say(done);
  }
  process.exit(code);
}
