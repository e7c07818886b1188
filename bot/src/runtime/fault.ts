/**
 * Crash points for the restart tests: when ESPACE_TEST_CRASH_AT names this point, the process kills itself
 * (SIGKILL: no handler, no cleanup) exactly there, mid-handler. Never set in production.
 */
export function crashPoint(name: string): void {
  if (process.env.ESPACE_TEST_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}
