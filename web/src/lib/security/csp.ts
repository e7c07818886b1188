/**
 * The Content-Security-Policy of the whole site. Everything is same-origin: system fonts, no CDN, no analytics.
 * connect-src is only a placeholder here; `withConnectSrc` replaces it per request with the homeserver and
 * bot origins read at runtime (see hooks.server.ts), because the CSP config is fixed at build time.
 */
export const CSP_DIRECTIVES = {
  'default-src': ['none'],
  'script-src': ['self'],
  'style-src': ['self'],
  'img-src': ['self', 'data:'],
  'font-src': ['self'],
  'connect-src': ['self'],
  'manifest-src': ['self'],
  'base-uri': ['none'],
  'form-action': ['self'],
  'frame-ancestors': ['none'],
  'object-src': ['none'],
} as const satisfies Record<string, readonly string[]>;

/** Replaces (or adds) the connect-src directive of a serialised CSP header value. */
export function withConnectSrc(policy: string, sources: readonly string[]): string {
  const directive = `connect-src ${["'self'", ...sources].join(' ')}`;
  const parts = policy
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  const index = parts.findIndex((part) => part === 'connect-src' || part.startsWith('connect-src '));
  if (index === -1) parts.push(directive);
  else parts[index] = directive;
  return parts.join('; ');
}
