import type { PublicStatus, TriageOption, TriageQuestionContent } from '@espace-mineurs/protocol';
import { BotApiError, createBotApi, type BotApi } from './bot-api.ts';
import { checkEvidenceFile, mediaDownloadUrl, shortHash } from './evidence.ts';
import { GuestRegistrationError, registerGuest } from './guest.ts';
import { connectRoom, RoomGoneError, type RoomConnection, type SendFailure } from './matrix-room.ts';
import type { RoomModel } from './room-model.ts';
import { afterReload, classifySendError, enqueue, nextToSend, remove, setState, type OutboxItem } from './outbox.ts';
import { clearSession, loadSession, newSession, saveSession, type ChatSession } from './session-store.ts';
import { triageContextFromQuery } from '#lib/content/contexts.ts';
import { isFinished } from './status.ts';
import type { ChatStarter, Phase } from './starter.ts';
import {
  activeTriageQuestion,
  questionText,
  textContent,
  triageAnswerContent,
  type TimelineMessage,
} from './timeline.ts';

export type { Phase } from './starter.ts';

/** One line of the conversation as the page shows it, with its delivery state for the young person's own. */
export interface ChatLine {
  key: string;
  author: TimelineMessage['author'];
  body: string;
  ts: number;
  delivery?: 'sending' | 'queued' | 'failed' | 'sent' | 'read';
  txnId?: string;
  danger?: boolean;
  /** An agent's line: the pseudonym of the agent who wrote it. */
  authorName?: string;
  /** An evidence image posted by the service: shown by `loadImage`. */
  image?: TimelineMessage['image'];
  /** Changed by its author after it was sent. */
  edited?: boolean;
  /** Deleted: `body` is « Message supprimé ». */
  redacted?: boolean;
}

/** The screenshot being sent through the bot API (one at a time); the file stays in memory only. */
export interface EvidenceUpload {
  state: 'refused' | 'sending' | 'sent' | 'failed';
  /** French, for the young person: why it was refused or failed, or what was sent. */
  message: string;
}

export interface ChatConfig {
  homeserverUrl: string;
  botApiUrl: string;
}

const MAX_SERVER_RETRIES = 5;

/**
 * The chat's state and actions. Svelte runes make the fields reactive. This module and the Matrix client it uses
 * are loaded by the chat page while the young person reads it (chat-loader.svelte.ts), not on the tap.
 */
export class Chat implements ChatStarter {
  phase = $state<Phase>('intro');
  error = $state<string | undefined>(undefined);
  notice = $state<string | undefined>(undefined);
  /** Replaced, never mutated: raw state spares the phone a deep proxy of every line. */
  messages = $state.raw<TimelineMessage[]>([]);
  outbox = $state<OutboxItem[]>([]);
  status = $state<PublicStatus | undefined>(undefined);
  agentTyping = $state(false);
  agentReadTs = $state(0);
  online = $state(true);
  ending = $state(false);
  evidence = $state<EvidenceUpload | undefined>(undefined);
  /** Older lines exist before the first one shown (scrolling up loads them). */
  hasOlder = $state(false);
  loadingOlder = $state(false);

  lines = $derived.by(() => this.buildLines());
  /**
   * The orientation the agent chose when closing, shown again on the end screen. Only that line: the screen says
   * thanks and gives the numbers itself, so the whole goodbye would repeat them.
   */
  orientation = $derived(this.messages.findLast((message) => message.closing)?.orientation);
  triage = $derived(activeTriageQuestion(this.messages, this.outbox.length));

  #session: ChatSession | undefined;
  #api: BotApi | undefined;
  #room: RoomConnection | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #serverFailures = new Map<string, number>();
  #flushing = false;
  /** Kept in memory for "Réessayer", never stored. */
  #evidenceFile: Blob | undefined;

  private readonly config: ChatConfig;
  private readonly storage: Storage;

  constructor(config: ChatConfig, storage: Storage) {
    this.config = config;
    this.storage = storage;
  }

  /** On page load: resume the conversation of this tab, if there is one. */
  async resume(): Promise<void> {
    const session = loadSession(this.storage);
    if (!session?.roomId) return;
    this.#session = { ...session, outbox: afterReload(session.outbox) };
    this.outbox = this.#session.outbox;
    this.phase = 'starting';
    await this.#connect(true);
  }

  /** `context`: the `lieu` of the link the young person came by, as it is in the address. */
  async start(context?: string): Promise<void> {
    if (this.phase === 'starting') return;
    this.phase = 'starting';
    this.error = undefined;
    try {
      // A guest registered earlier in this tab (e.g. opening failed) is reused rather than piling up accounts.
      this.#session ??= loadSession(this.storage);
      if (!this.#session) {
        const credentials = await registerGuest(this.config.homeserverUrl);
        this.#session = newSession(credentials);
        this.#persist();
      }
      const api = this.#apiFor(this.#session);
      // Only a known entry point is passed on (the bot checks again); anything else is simply no context.
      const opened = await api.open(triageContextFromQuery(context ?? null));
      this.#session.roomId = opened.roomId;
      this.status = opened.status;
      this.#persist();
      await this.#connect(false);
    } catch (error) {
      this.phase = 'intro';
      this.error = describeStartError(error);
    }
  }

  send(text: string): boolean {
    const content = textContent(text);
    if (content.body === '') return false;
    this.#enqueue(content);
    return true;
  }

  answer(question: TriageQuestionContent, option: Pick<TriageOption, 'id' | 'label'>): void {
    this.#enqueue(triageAnswerContent(question, option.id, option.label));
  }

  retry(txnId: string): void {
    this.#serverFailures.delete(txnId);
    this.#updateOutbox(setState(this.outbox, txnId, 'queued'));
    void this.flush();
  }

  /** Checks then sends a screenshot; a refused file is never sent. */
  async sendEvidence(file: Blob): Promise<void> {
    if (this.evidence?.state === 'sending') return;
    const refusal = checkEvidenceFile(file);
    if (refusal) {
      this.#evidenceFile = undefined;
      this.evidence = { state: 'refused', message: refusal };
      return;
    }
    this.#evidenceFile = file;
    await this.#uploadEvidence(file);
  }

  retryEvidence(): void {
    if (this.#evidenceFile && this.evidence?.state === 'failed') void this.#uploadEvidence(this.#evidenceFile);
  }

  async #uploadEvidence(file: Blob): Promise<void> {
    if (!this.#session) return;
    this.evidence = { state: 'sending', message: 'Envoi de la capture d’écran…' };
    try {
      const result = await this.#apiFor(this.#session).sendEvidence(file);
      this.#evidenceFile = undefined;
      this.evidence = { state: 'sent', message: `Capture d’écran envoyée (empreinte ${shortHash(result.sha256)}).` };
    } catch (error) {
      const refused = error instanceof BotApiError && error.code.startsWith('EVIDENCE_');
      if (refused) this.#evidenceFile = undefined;
      this.evidence = {
        state: refused ? 'refused' : 'failed',
        message:
          error instanceof BotApiError && error.code !== 'NETWORK'
            ? error.userMessage
            : 'La capture d’écran n’a pas pu partir : vérifie ta connexion, puis appuie sur « Réessayer ».',
      };
    }
  }

  /**
   * An evidence image of this conversation, fetched with the guest's token (authenticated media needs the
   * Authorization header, so no plain <img src>); kept in memory only, never in the HTTP cache.
   */
  async loadImage(mxc: string): Promise<Blob | undefined> {
    const token = this.#session?.credentials.accessToken;
    const url = mediaDownloadUrl(this.config.homeserverUrl, mxc);
    if (!token || !url) return undefined;
    try {
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${token}` },
        credentials: 'omit',
        cache: 'no-store',
        referrerPolicy: 'no-referrer',
      });
      if (!response.ok) return undefined;
      const blob = await response.blob();
      return blob.type.startsWith('image/') ? blob : undefined;
    } catch {
      return undefined;
    }
  }

  /** Scrolling up reached the oldest line: fetch the page before it. */
  async loadOlder(): Promise<void> {
    if (!this.#room || this.loadingOlder || !this.hasOlder) return;
    this.loadingOlder = true;
    try {
      this.hasOlder = await this.#room.loadOlder();
    } catch {
      // Offline or refused: the sentinel stays, the next scroll tries again.
    } finally {
      this.loadingOlder = false;
    }
  }

  /** Pages of history loaded on their own after connecting; beyond them, scrolling up loads the rest. */
  static readonly EARLIER_PAGES = 2;

  async #loadEarlierPages(): Promise<void> {
    for (let page = 0; page < Chat.EARLIER_PAGES && this.hasOlder; page++) {
      await this.loadOlder();
    }
  }

  async end(): Promise<void> {
    if (!this.#session || this.ending) return;
    this.ending = true;
    this.error = undefined;
    try {
      const result = await this.#apiFor(this.#session).end();
      this.status = result.status;
      this.#finish();
    } catch (error) {
      // Already closed on the bot's side: the conversation is over either way.
      if (error instanceof BotApiError && error.code === 'NO_CONVERSATION') this.#finish();
      else
        this.error =
          error instanceof BotApiError ? error.userMessage : 'La conversation n’a pas pu être terminée. Réessaie.';
    } finally {
      this.ending = false;
    }
  }

  /** Back to the start screen after an ended conversation: a new one starts with a new guest. */
  reset(): void {
    this.#stopRoom();
    clearSession(this.storage);
    this.#session = undefined;
    this.#api = undefined;
    this.messages = [];
    this.outbox = [];
    this.status = undefined;
    this.error = undefined;
    this.notice = undefined;
    this.evidence = undefined;
    this.#evidenceFile = undefined;
    this.phase = 'intro';
  }

  setOnline(online: boolean): void {
    this.online = online;
    if (online) void this.flush();
  }

  destroy(): void {
    clearTimeout(this.#retryTimer);
    this.#stopRoom();
  }

  /** Sends what waits in the outbox, one message at a time, in order. */
  async flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      for (let next = nextToSend(this.outbox); next && this.#room && this.online; next = nextToSend(this.outbox)) {
        const { txnId, content } = next;
        this.#updateOutbox(setState(this.outbox, txnId, 'sending'));
        try {
          // The connection shows it as sent right away; the sync echo brings the server's timestamp.
          await this.#room.send(txnId, content);
          this.#serverFailures.delete(txnId);
          this.#updateOutbox(remove(this.outbox, txnId));
        } catch (error) {
          const failure = error as SendFailure;
          const failures = (this.#serverFailures.get(txnId) ?? 0) + (failure.httpStatus ? 1 : 0);
          this.#serverFailures.set(txnId, failures);
          if (classifySendError(failure) === 'needs-user' || failures >= MAX_SERVER_RETRIES) {
            this.#updateOutbox(setState(this.outbox, txnId, 'failed'));
            continue;
          }
          this.#updateOutbox(setState(this.outbox, txnId, 'queued'));
          if (!failure.httpStatus) this.online = false;
          this.#scheduleRetry(failures);
          return;
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  #enqueue(content: OutboxItem['content']): void {
    const session = this.#session;
    if (!session) return;
    session.txnCounter += 1;
    const txnId = `${session.txnPrefix}.${session.txnCounter}`;
    this.#updateOutbox(enqueue(this.outbox, txnId, content, Date.now()));
    void this.flush();
  }

  /**
   * Joins (unless `joined`: after a reload the guest is already in) and syncs the room. The opening's answer
   * already gave the status, so nothing is asked of the bot here: the room's status event keeps it current.
   */
  async #connect(joined: boolean): Promise<void> {
    const session = this.#session;
    if (!session?.roomId) return;
    try {
      this.#room = await connectRoom(
        session.credentials,
        session.roomId,
        {
          changed: (model) => this.#onRoom(model),
          connection: (online) => this.setOnline(online),
          left: () => this.#finish(),
        },
        { joined },
      );
      // The first sync may already say the conversation is over (closed while the tab was away).
      if (this.phase === 'ended') {
        this.#stopRoom();
        return;
      }
      this.hasOlder = this.#room.hasOlder;
      this.phase = 'active';
      void this.flush();
      // After a reload in a long conversation the first sync brings only its last lines: the rest follows at
      // once, so the whole conversation is on the page without scrolling up for it.
      void this.#loadEarlierPages();
    } catch (error) {
      if (error instanceof RoomGoneError) {
        this.#finish();
        return;
      }
      this.phase = 'intro';
      this.error = 'Impossible de rejoindre la conversation pour le moment. Vérifie ta connexion et réessaie.';
    }
  }

  #onRoom(model: RoomModel): void {
    this.messages = model.messages;
    const delivered = this.outbox.filter((item) => model.messages.some((message) => message.txnId === item.txnId));
    if (delivered.length > 0) this.#updateOutbox(this.outbox.filter((item) => !delivered.includes(item)));
    this.agentTyping = model.typing;
    this.agentReadTs = Math.max(this.agentReadTs, model.readUpTo);
    if (model.status) this.#onStatus(model.status);
  }

  #onStatus(status: PublicStatus): void {
    // The same status again (every sync hands the model's) changes nothing on screen.
    if (this.status && status.updatedAt <= this.status.updatedAt) return;
    this.status = status;
    if (isFinished(status)) this.#finish();
  }

  #finish(): void {
    this.#stopRoom();
    clearSession(this.storage);
    this.#session = undefined;
    this.#api = undefined;
    this.outbox = [];
    this.evidence = undefined;
    this.#evidenceFile = undefined;
    this.phase = 'ended';
  }

  #stopRoom(): void {
    this.#room?.stop();
    this.#room = undefined;
  }

  #scheduleRetry(attempt: number): void {
    clearTimeout(this.#retryTimer);
    const delay = Math.min(30_000, 2_000 * 2 ** Math.min(attempt, 4));
    this.#retryTimer = setTimeout(() => void this.flush(), delay);
  }

  #updateOutbox(outbox: OutboxItem[]): void {
    this.outbox = outbox;
    if (this.#session) {
      this.#session.outbox = outbox;
      this.#persist();
    }
  }

  #persist(): void {
    if (this.#session) saveSession(this.storage, $state.snapshot(this.#session) as ChatSession);
  }

  #apiFor(session: ChatSession): BotApi {
    if (!this.#api || this.#api.accessToken !== session.credentials.accessToken) {
      this.#api = createBotApi(this.config.botApiUrl, session.credentials.accessToken);
    }
    return this.#api;
  }

  private buildLines(): ChatLine[] {
    const lines: ChatLine[] = this.messages.map((message) => ({
      key: message.eventId,
      author: message.author,
      body: message.triage ? questionText(message.body, message.triage) : message.body,
      ts: message.ts,
      txnId: message.txnId,
      danger: message.danger,
      authorName: message.senderName,
      image: message.image,
      edited: message.edited,
      redacted: message.redacted,
      delivery:
        message.author === 'me' && !message.redacted ? (this.agentReadTs >= message.ts ? 'read' : 'sent') : undefined,
    }));
    const shown = new Set(this.messages.map((message) => message.txnId).filter(Boolean));
    for (const item of this.outbox) {
      if (shown.has(item.txnId)) continue;
      lines.push({
        key: item.txnId,
        author: 'me',
        body: item.content.body,
        ts: item.createdAt,
        txnId: item.txnId,
        delivery:
          item.state === 'sending'
            ? 'sending'
            : item.state === 'failed'
              ? 'failed'
              : this.online
                ? 'sending'
                : 'queued',
      });
    }
    return lines;
  }
}

function describeStartError(error: unknown): string {
  if (error instanceof BotApiError) return error.userMessage;
  if (error instanceof GuestRegistrationError) {
    return error.reason === 'rate-limited'
      ? 'Beaucoup de personnes se connectent en ce moment. Réessaie dans une minute.'
      : 'Impossible de se connecter au service pour le moment. Vérifie ta connexion et réessaie.';
  }
  return 'Un problème est survenu. Réessaie dans un instant.';
}
