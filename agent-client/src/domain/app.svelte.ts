import { loadConfig, type AgentClientConfig } from '../config.ts';
import { AgentConnection, IdentityError } from '../matrix/connection.ts';
import {
  browserSessionStore,
  LOGIN_ERROR_TEXT,
  LoginError,
  passwordLoginMethod,
  revokeSession,
  sessionIsValid,
  type LoginMethod,
  type SessionStore,
  type StoredSession,
} from '../matrix/session.ts';
import { shouldAutoJoinRoom } from './disclosure.ts';
import type { Alert } from './notify.ts';
import { WorkspaceState } from './workspace.svelte.ts';

export type Phase =
  | { kind: 'starting' }
  | { kind: 'login'; error?: string }
  | { kind: 'connecting' }
  | { kind: 'ready'; workspace: WorkspaceState }
  | { kind: 'fatal'; message: string };

const IDENTITY_TEXT: Record<IdentityError['code'], string> = {
  NOT_STAFF: "Ce compte n'est pas enregistré comme agent ou superviseur d'Espace mineurs.",
  NO_FORCE_ROOMS: "Ce compte n'a accès à aucun espace Police ou Gendarmerie. Contactez votre superviseur.",
  INACTIVE: 'Ce compte a été retiré du service. Contactez votre superviseur.',
  SYNC_FAILED: 'La synchronisation avec le serveur a échoué. Réessayez.',
  TOKEN_REVOKED: 'Votre session a expiré. Reconnectez-vous.',
};

/** The app's lifecycle: config, restored or new session, connection, logout. */
export class AppState {
  phase = $state<Phase>({ kind: 'starting' });
  config: AgentClientConfig | undefined;
  private session: StoredSession | undefined;
  private connection: AgentConnection | undefined;

  constructor(
    private store: SessionStore = browserSessionStore(localStorage),
    readonly loginMethod: LoginMethod = passwordLoginMethod,
    private onAlert: (alerts: Alert[]) => void = () => {},
  ) {}

  async boot(): Promise<void> {
    try {
      this.config = await loadConfig();
    } catch (error) {
      this.phase = { kind: 'fatal', message: error instanceof Error ? error.message : 'configuration invalide' };
      return;
    }
    const saved = this.store.load();
    if (!saved || saved.homeserverUrl !== this.config.homeserverUrl) {
      this.phase = { kind: 'login' };
      return;
    }
    const valid = await sessionIsValid(saved);
    if (valid === false) {
      this.store.clear();
      this.phase = { kind: 'login', error: IDENTITY_TEXT.TOKEN_REVOKED };
      return;
    }
    await this.connect(saved);
  }

  async login(username: string, password: string): Promise<void> {
    if (!this.config) return;
    // The form stays on screen while the credentials are checked, so a typo does not wipe the username.
    let session: StoredSession;
    try {
      session = await this.loginMethod.login(this.config.homeserverUrl, { username, password });
    } catch (error) {
      this.phase = { kind: 'login', error: error instanceof LoginError ? error.message : LOGIN_ERROR_TEXT.UNEXPECTED };
      return;
    }
    this.store.save(session);
    await this.connect(session);
  }

  private async connect(session: StoredSession): Promise<void> {
    this.phase = { kind: 'connecting' };
    this.session = session;
    const connection = new AgentConnection(session, this.config?.botUserIds, shouldAutoJoinRoom);
    this.connection = connection;
    connection.onSessionEnded = () => {
      if (this.connection !== connection) return;
      if (this.phase.kind === 'ready') this.phase.workspace.dispose();
      this.connection = undefined;
      this.session = undefined;
      this.store.clear();
      if (typeof localStorage !== 'undefined') AgentConnection.forgetLocalTraces(localStorage);
      this.phase = { kind: 'login', error: IDENTITY_TEXT.TOKEN_REVOKED };
    };
    try {
      await connection.start();
      this.phase = { kind: 'ready', workspace: new WorkspaceState(connection, this.onAlert) };
    } catch (error) {
      connection.stop();
      this.connection = undefined;
      const code = error instanceof IdentityError ? error.code : 'SYNC_FAILED';
      if (code === 'TOKEN_REVOKED' || code === 'NOT_STAFF' || code === 'INACTIVE' || code === 'NO_FORCE_ROOMS')
        this.store.clear();
      this.phase = { kind: 'login', error: IDENTITY_TEXT[code] };
    }
  }

  /** Logs out: stops syncing, revokes the token server-side, forgets it locally. */
  async logout(): Promise<void> {
    if (this.phase.kind === 'ready') this.phase.workspace.dispose();
    this.connection?.stop();
    this.connection = undefined;
    const session = this.session;
    this.store.clear();
    if (typeof localStorage !== 'undefined') AgentConnection.forgetLocalTraces(localStorage);
    this.session = undefined;
    this.phase = { kind: 'login' };
    if (session) await revokeSession(session);
  }
}
