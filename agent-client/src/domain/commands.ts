import type { Command } from '@espace-mineurs/protocol';
import type { CommandResult } from './model.ts';

export type CommandInput = Command extends infer C ? (C extends Command ? Omit<C, 'requestId'> : never) : never;

export interface PendingCommand {
  requestId: string;
  action: Command['action'];
  conversation?: string;
  /** For a disclosure decision or withdrawal: which request it is about. */
  disclosure?: string;
  sentAt: number;
  /** Set when the bot's CommandResult arrived. */
  result?: CommandResult;
  /** The event could not even be sent (offline, refused by Synapse). */
  sendError?: string;
}

/** Short, unique per click, within the protocol's 64 characters. */
export function newRequestId(random: () => number = Math.random, now: number = Date.now()): string {
  return `ac-${now.toString(36)}-${Math.floor(random() * 36 ** 8)
    .toString(36)
    .padStart(8, '0')}`;
}

export function withRequestId(input: CommandInput, requestId: string): Command {
  return { ...input, requestId } as Command;
}

export type PendingState = 'sending' | 'waiting' | 'done' | 'refused' | 'failed' | 'slow';

/** How long without an answer before the client says the service seems slow (it may not be running). */
export const SLOW_AFTER_MS = 8_000;

export function pendingState(command: PendingCommand, now: number): PendingState {
  if (command.sendError) return 'failed';
  if (command.result) return command.result.ok ? 'done' : 'refused';
  return now - command.sentAt > SLOW_AFTER_MS ? 'slow' : 'waiting';
}

/** Attaches results that arrived (by request id) to the commands this client sent. */
export function attachResults(pending: PendingCommand[], results: Map<string, CommandResult>): PendingCommand[] {
  let changed = false;
  const next = pending.map((command) => {
    const result = results.get(command.requestId);
    if (!result || command.result) return command;
    changed = true;
    return { ...command, result };
  });
  return changed ? next : pending;
}
