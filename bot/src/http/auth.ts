import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { HomeserverError } from '../matrix/errors.ts';
import { whoami } from '../matrix/transport.ts';
import { ApiError } from './errors.ts';

export interface Guest {
  userId: string;
}

const TOKEN = /^Bearer ([A-Za-z0-9._~+/=-]{1,512})$/;
const CACHE_MS = 30_000;

/**
 * Checks the young person's own Matrix token with Synapse (whoami) and requires a guest. Answers are cached
 * briefly by a hash of the token (never the token itself), so polling the status does not load Synapse.
 */
export class GuestAuth {
  private readonly homeserverUrl: string;
  private readonly cache = new Map<string, { guest: Guest; until: number }>();

  constructor(homeserverUrl: string) {
    this.homeserverUrl = homeserverUrl;
  }

  async verify(request: Request): Promise<Guest> {
    const match = TOKEN.exec(request.get('authorization') ?? '');
    if (!match) throw new ApiError('UNAUTHENTICATED');
    return this.verifyToken(match[1]!);
  }

  /**
   * For a page that is unloading: `navigator.sendBeacon` cannot set headers, so the token may come as the
   * text/plain body instead (a CORS-simple request, which needs no preflight the closing page could not wait for).
   */
  verifyBeacon(request: Request): Promise<Guest> {
    if (request.get('authorization')) return this.verify(request);
    const token = typeof request.body === 'string' ? request.body.trim() : '';
    if (!TOKEN.test(`Bearer ${token}`)) throw new ApiError('UNAUTHENTICATED');
    return this.verifyToken(token);
  }

  private async verifyToken(token: string): Promise<Guest> {
    const key = createHash('sha256').update(token).digest('base64url');
    const cached = this.cache.get(key);
    if (cached && cached.until > Date.now()) return cached.guest;
    let body: { user_id?: unknown; is_guest?: unknown };
    try {
      body = await whoami(this.homeserverUrl, token, { timeoutMs: 10_000 });
    } catch (error) {
      const status = error instanceof HomeserverError ? error.statusCode : undefined;
      if (status === 401 || status === 403) throw new ApiError('UNAUTHENTICATED');
      if (status === 429) throw new ApiError('RATE_LIMITED', { retryAfterSeconds: 5 });
      throw new ApiError('HOMESERVER_UNAVAILABLE', { cause: error });
    }
    if (typeof body.user_id !== 'string') throw new ApiError('HOMESERVER_UNAVAILABLE');
    if (body.is_guest !== true) throw new ApiError('NOT_A_GUEST');
    const guest = { userId: body.user_id };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { guest, until: Date.now() + CACHE_MS });
    return guest;
  }

  forget(userId: string): void {
    for (const [key, value] of this.cache) if (value.guest.userId === userId) this.cache.delete(key);
  }
}
