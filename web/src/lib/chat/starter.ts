/**
 * What the chat's intro screen needs of the chat: its phase, its error, and the tap. The chat page hands it a
 * light stand-in until the chat's code has arrived (it is fetched while the young person reads the page), so
 * the intro never waits for that code and a tap made before it arrives is kept.
 */
export type Phase = 'intro' | 'starting' | 'active' | 'ended';

export interface ChatStarter {
  readonly phase: Phase;
  readonly error: string | undefined;
  start(context?: string): void | Promise<void>;
}
