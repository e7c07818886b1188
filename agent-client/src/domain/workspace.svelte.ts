import type { ConversationEntry } from '@espace-mineurs/protocol';
import type { AgentConnection } from '../matrix/connection.ts';
import { canOpen } from './access.ts';
import { cannedFor } from './canned.ts';
import { canDecide, pendingDisclosures } from './disclosure.ts';
import {
  attachResults,
  newRequestId,
  pendingState,
  withRequestId,
  type CommandInput,
  type PendingCommand,
} from './commands.ts';
import type { Workspace } from './model.ts';
import { visibleFeedback } from './feedback.ts';
import { alertsFor, disclosureAlerts, messageAlerts, queueAlerts, type Alert } from './notify.ts';
import { myConversations, transfersOffered, waitingQueue } from './queue.ts';

export type View =
  | { kind: 'queue' }
  | { kind: 'conversation'; roomId: string }
  | { kind: 'supervision' }
  | { kind: 'canned' }
  | { kind: 'disclosures' };

/**
 * Live state of the signed-in agent's screens, fed by the connection. Components read it; actions go through
 * it so that every command is tracked until the bot answers.
 */
export class WorkspaceState {
  ws = $state.raw<Workspace>() as Workspace;
  version = $state(0);
  now = $state(Date.now());
  view = $state<View>({ kind: 'queue' });
  commands = $state.raw<PendingCommand[]>([]);
  connectionOffline = $state(false);
  /** A conversation whose composer should take the focus once shown (after this agent's claim opened it). */
  focusRequest = $state<string | undefined>();

  private previousQueue: ConversationEntry[] | undefined;
  private previousDecidable: Set<string> | undefined;
  private previousUnread: Map<string, number> | undefined;
  /** Claims and accepted transfers of this session whose conversation opens by itself once joined. */
  private toOpen = new Set<string>();
  private unsubscribe: () => void;
  private clock: ReturnType<typeof setInterval>;

  constructor(
    readonly connection: AgentConnection,
    private onAlert: (alerts: Alert[]) => void = () => {},
  ) {
    this.refresh();
    this.unsubscribe = connection.subscribe(() => this.refresh());
    this.clock = setInterval(() => (this.now = Date.now()), 1000);
    if (this.ws.me.role === 'supervisor') this.view = { kind: 'supervision' };
  }

  dispose(): void {
    this.unsubscribe();
    clearInterval(this.clock);
  }

  private refresh(): void {
    this.ws = this.connection.workspace();
    this.version++;
    this.connectionOffline = this.connection.connectionState === 'offline';
    this.commands = attachResults(this.commands, this.connection.results());
    const queue = waitingQueue(this.ws.entries, this.ws.me);
    const decidable = this.disclosuresToDecide;
    const ticketOf = (roomId: string) => this.entry(roomId)?.ticket;
    const mine = this.mine;
    const reading =
      this.view.kind === 'conversation' &&
      typeof document !== 'undefined' &&
      document.visibilityState === 'visible' &&
      document.hasFocus()
        ? this.view.roomId
        : undefined;
    const alerts = [
      ...queueAlerts(this.previousQueue, queue),
      ...disclosureAlerts(this.previousDecidable, decidable, ticketOf),
      ...messageAlerts(this.previousUnread, this.ws.unread, mine, reading),
    ];
    this.previousQueue = queue;
    this.previousDecidable = new Set(decidable.map((request) => request.id));
    this.previousUnread = new Map(mine.map((entry) => [entry.roomId, this.ws.unread.get(entry.roomId) ?? 0]));
    this.openClaimed();
    const audible = alertsFor(this.ws.me, this.ws.duty.get(this.ws.me.userId), alerts);
    if (audible.length > 0) this.onAlert(audible);
  }

  /**
   * After this agent's claim (or accepted transfer) succeeds, the conversation opens by itself as soon as the bot
   * has let them in, and its composer takes the focus — unless they went to another screen meanwhile.
   */
  private openClaimed(): void {
    for (const command of this.commands) {
      if (!this.toOpen.has(command.requestId) || !command.conversation) continue;
      const state = pendingState(command, this.now);
      if (state === 'refused' || state === 'failed' || Date.now() - command.sentAt > 60_000)
        this.toOpen.delete(command.requestId);
      if (state !== 'done') continue;
      if (
        this.view.kind !== 'queue' &&
        !(this.view.kind === 'conversation' && this.view.roomId === command.conversation)
      ) {
        this.toOpen.delete(command.requestId);
      } else if (this.open(command.conversation)) {
        this.toOpen.delete(command.requestId);
        this.focusRequest = command.conversation;
      }
    }
  }

  /** The answers that still need the agent's eyes (refusals not yet resolved, slow or failed sends). */
  get feedback() {
    return visibleFeedback(this.commands, this.now, { mine: this.mine });
  }

  get me() {
    return this.ws.me;
  }
  get queue() {
    return waitingQueue(this.ws.entries, this.ws.me);
  }
  get mine() {
    return myConversations(this.ws.entries, this.ws.me, this.ws.lastActivity);
  }
  get offered() {
    return transfersOffered(this.ws.entries, this.ws.me);
  }
  /** Disclosure requests this supervisor may approve or refuse now. */
  get disclosuresToDecide() {
    return pendingDisclosures(this.ws.disclosureRequests, this.ws.me, this.now).filter((request) =>
      canDecide(request, this.ws.me, this.now),
    );
  }
  /** The force's canned responses, or the defaults until a supervisor publishes a list. */
  get canned() {
    return cannedFor(this.ws.publishedCanned, this.ws.me.force);
  }
  get myDuty() {
    return this.ws.duty.get(this.ws.me.userId);
  }

  entry(roomId: string): ConversationEntry | undefined {
    return this.ws.entries.find((candidate) => candidate.roomId === roomId);
  }

  /** Opens a conversation only when the agent may (its force, assigned or supervising, room joined). */
  open(roomId: string): boolean {
    const entry = this.entry(roomId);
    if (!entry || !canOpen(entry, this.ws.me, this.ws.joined).open) return false;
    this.view = { kind: 'conversation', roomId };
    return true;
  }

  /** Sends a command and tracks it until the bot's CommandResult; returns its request ID. */
  async command(input: CommandInput): Promise<string> {
    const requestId = newRequestId();
    const tracked: PendingCommand = {
      requestId,
      action: input.action,
      ...('conversation' in input ? { conversation: input.conversation } : {}),
      ...('disclosure' in input ? { disclosure: input.disclosure } : {}),
      sentAt: Date.now(),
    };
    this.commands = [...this.commands, tracked].slice(-20);
    if (input.action === 'claim' || input.action === 'transfer_accept') this.toOpen.add(requestId);
    try {
      await this.connection.sendCommand(withRequestId(input, requestId));
      this.commands = attachResults(this.commands, this.connection.results());
      this.openClaimed();
    } catch {
      this.commands = this.commands.map((command) =>
        command.requestId === requestId ? { ...command, sendError: 'UNSENT' } : command,
      );
    }
    return requestId;
  }

  /** The latest command of this action about this conversation (for inline feedback on a button). */
  lastCommand(action: PendingCommand['action'], conversation?: string): PendingCommand | undefined {
    for (let index = this.commands.length - 1; index >= 0; index--) {
      const command = this.commands[index];
      if (command && command.action === action && (conversation === undefined || command.conversation === conversation))
        return command;
    }
    return undefined;
  }

  commandState(command: PendingCommand) {
    return pendingState(command, this.now);
  }

  dismissCommand(command: PendingCommand): void {
    this.commands = this.commands.filter((candidate) => candidate !== command);
  }
}
