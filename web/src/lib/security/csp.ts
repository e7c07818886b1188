import type { sveltekit } from '@sveltejs/kit/vite';

/**
 * The Content-Security-Policy of the whole site. Everything is same-origin: system fonts, no CDN, no analytics.
 * connect-src is only a placeholder here; `withConnectSrc` replaces it per request with the homeserver and
 * bot origins read at runtime (see hooks.server.ts), because the CSP config is fixed at build time.
 */
/**
 * SvelteKit's route announcer (a visually hidden aria-live region) carries an inline style attribute. Allowing
 * exactly that attribute by its hash keeps every other inline style blocked. csp.test.ts recomputes the hash
 * from the installed SvelteKit, so an upgrade that changes it fails the tests instead of the screen reader.
 */
export const KIT_ANNOUNCER_STYLE_HASH = 'sha256-S8qMpvofolR8Mpjy4kQvEm7m1q8clzU4dfDH0AmvZjo=';

/**
 * The one inline script of the site (in src/app.html): before the page's code has taken over, it remembers a tap
 * on the chat's start button, and makes a tap on a link of the site replace the history entry as the router would.
 * Allowed by its hash, so every other inline script stays blocked; csp.test.ts recomputes it from app.html.
 */
export const EARLY_TAP_SCRIPT_HASH = 'sha256-TXS6GBW1tLYq6suqsLzJxgW9lvxPEl7INPg4QTidiKE=';

type CspDirectives = NonNullable<NonNullable<NonNullable<Parameters<typeof sveltekit>[0]>['csp']>['directives']>;

export const CSP_DIRECTIVES: CspDirectives = {
  'default-src': ['none'],
  'script-src': ['self', EARLY_TAP_SCRIPT_HASH],
  'style-src': ['self'],
  'style-src-attr': ['unsafe-hashes', KIT_ANNOUNCER_STYLE_HASH],
  // blob: only for the evidence images of the chat, fetched with the guest's token (authenticated media).
  'img-src': ['self', 'data:', 'blob:'],
  'font-src': ['self'],
  'connect-src': ['self'],
  'manifest-src': ['self'],
  'base-uri': ['none'],
  'form-action': ['self'],
  'frame-ancestors': ['none'],
  'object-src': ['none'],
};

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
