import { HomeserverError, type Homeserver } from './homeserver.ts';

export interface Call {
  method: string;
  path: string;
  body?: unknown;
}

type Handler = (call: Call) => unknown;

/** A scripted homeserver for unit tests: routes are matched in order on "METHOD path-prefix". */
export class FakeHomeserver implements Homeserver {
  readonly userId: string;
  readonly calls: Call[] = [];
  private readonly routes: Array<[string, Handler]> = [];

  constructor(userId = '@espace-bot:test') {
    this.userId = userId;
  }

  on(route: string, handler: Handler): this {
    this.routes.push([route, handler]);
    return this;
  }

  async request<T>(
    method: string,
    path: string,
    options: { qs?: Record<string, unknown>; body?: unknown } = {},
  ): Promise<T> {
    const call: Call = { method, path, ...(options.body !== undefined ? { body: options.body } : {}) };
    this.calls.push(call);
    for (const [route, handler] of this.routes) {
      const [routeMethod, prefix] = route.split(' ') as [string, string];
      if (routeMethod === method && path.startsWith(prefix)) return handler(call) as T;
    }
    throw new HomeserverError(404, 'M_NOT_FOUND', `${method} ${path}`);
  }
}

export function notFound(): never {
  throw new HomeserverError(404, 'M_NOT_FOUND', 'not found');
}
