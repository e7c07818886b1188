/**
 * The bot's Matrix client in the federated topology (docs/architecture.md, "Federated topology"): one client
 * per server, behind the single-server `Matrix` interface so the handlers stay the same. Each request goes to
 * the server that holds what it names: a room by its ID (room version 11 IDs carry the creating server's name:
 * the young people's rooms are created on the public server, each force's rooms on its own), a user or an alias
 * by its server name. Anything else (createRoom, media, /sync of this facade) goes to the public server. A
 * young person's room is therefore only ever touched through the public server (invites of force agents reach
 * them over federation), and queue entries, notes, claims and audit through the force's server.
 */
import type { RequestOptions } from '../matrix/transport.ts';
import { Matrix } from '../matrix/client.ts';
import { serverNameOfUser } from './servers.ts';

/** The server name an identifier (`!room:server`, `@user:server`, `#alias:server`) names, if any. */
export function serverOfId(id: string): string | undefined {
  if (!/^[!@#]/.test(id)) return undefined;
  const colon = id.indexOf(':');
  return colon > 1 && colon < id.length - 1 ? id.slice(colon + 1) : undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The first path segment that is a room, user or alias identifier: what the request is about. */
export function subjectOfPath(path: string): string | undefined {
  for (const segment of path.split('?')[0]!.split('/')) {
    const decoded = safeDecode(segment);
    if (serverOfId(decoded)) return decoded;
  }
  return undefined;
}

export class FederatedMatrix extends Matrix {
  /** The force servers' clients by server name; the public server's is `publicClient`. */
  readonly byServer: ReadonlyMap<string, Matrix>;
  readonly publicClient: Matrix;

  constructor(publicClient: Matrix, forceClients: readonly Matrix[]) {
    super(publicClient.baseUrl, publicClient.accessToken, publicClient.userId);
    this.publicClient = publicClient;
    const byServer = new Map<string, Matrix>();
    for (const client of forceClients) byServer.set(serverNameOfUser(client.userId), client);
    this.byServer = byServer;
  }

  /** The client of the server that holds `id` (a room, user or alias), the public server's otherwise. */
  clientFor(id: string | undefined): Matrix | undefined {
    const server = id ? serverOfId(id) : undefined;
    return server ? this.byServer.get(server) : undefined;
  }

  override clientOn(id: string): Matrix {
    return this.clientFor(id) ?? this;
  }

  override everyServer(): Matrix[] {
    return [this.publicClient, ...this.byServer.values()];
  }

  override isOwn(userId: string): boolean {
    return userId === this.userId || [...this.byServer.values()].some((client) => client.userId === userId);
  }

  override userIdIn(roomId: string): string {
    return this.clientFor(roomId)?.userId ?? this.userId;
  }

  /** A path's server: the one of the room, user or alias it names, else a server name it holds (admin media API). */
  private clientForPath(path: string): Matrix | undefined {
    const subject = subjectOfPath(path);
    if (subject) return this.clientFor(subject);
    for (const segment of path.split('?')[0]!.split('/')) {
      const client = this.byServer.get(safeDecode(segment));
      if (client) return client;
    }
    return undefined;
  }

  override request<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<T> {
    const client = this.clientForPath(path);
    return (client ?? this.publicClient).request<T>(method, path, options);
  }

  override upload(bytes: Buffer, contentType: string, filename: string): Promise<string> {
    return this.publicClient.upload(bytes, contentType, filename);
  }

  override download(mxc: string): Promise<Buffer> {
    return this.publicClient.download(mxc);
  }

  override async joinedRooms(): Promise<string[]> {
    const all = [await this.publicClient.joinedRooms()];
    for (const client of this.byServer.values()) all.push(await client.joinedRooms());
    return [...new Set(all.flat())];
  }
}
