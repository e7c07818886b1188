import express, { type Express, type RequestHandler } from 'express';
import type { Context } from '../runtime/context.ts';
import { GuestAuth } from './auth.ts';
import { conversationRoutes } from './conversations.ts';
import { ApiError, errorMiddleware } from './errors.ts';
import { evidenceRoutes } from './evidence.ts';
import { OpeningPace, RateLimiter } from './rate-limit.ts';
import { readinessRoute } from './readiness.ts';

/** CORS for the configured web origins only; a browser on any other origin gets no CORS headers at all. */
function cors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins.map((origin) => new URL(origin).origin));
  return (request, response, next) => {
    const origin = request.get('origin');
    if (origin && allowed.has(origin)) {
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Vary', 'Origin');
      response.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
      response.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      response.setHeader('Access-Control-Expose-Headers', 'Retry-After');
      response.setHeader('Access-Control-Max-Age', '600');
    }
    if (request.method === 'OPTIONS') {
      if (origin && !allowed.has(origin)) return next(new ApiError('FORBIDDEN_ORIGIN'));
      response.status(204).end();
      return;
    }
    next();
  };
}

export function createApp(ctx: Context): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ctx.config.trustProxy);
  app.use((_request, response, next) => {
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.use(cors(ctx.config.webOrigins));
  app.use(express.json({ limit: '2kb', strict: true, type: ['application/json'] }));

  app.get('/healthz', (_request, response) => {
    response.json({ ok: true });
  });
  app.get('/readyz', readinessRoute(ctx));
  app.get('/metrics', async (_request, response) => {
    response.setHeader('Content-Type', ctx.metrics.registry.contentType);
    response.send(await ctx.metrics.registry.metrics());
  });

  const { rateLimits } = ctx.config;
  const auth = new GuestAuth(ctx.config.homeserverUrl);
  app.use(evidenceRoutes({ ctx, auth, perGuest: new RateLimiter(rateLimits.openPerGuest, rateLimits.windowSeconds) }));
  app.use(
    conversationRoutes({
      ctx,
      auth,
      openPerIp: new OpeningPace({
        soft: rateLimits.openPerIp,
        hard: rateLimits.openPerIpHard,
        stepMs: rateLimits.slowdownStepMs,
        maxDelayMs: rateLimits.slowdownMaxMs,
        windowSeconds: rateLimits.windowSeconds,
      }),
      openPerGuest: new RateLimiter(rateLimits.openPerGuest, rateLimits.windowSeconds),
    }),
  );
  app.use((_request, _response, next) => next(new ApiError('NOT_FOUND')));
  app.use(errorMiddleware);
  return app;
}
