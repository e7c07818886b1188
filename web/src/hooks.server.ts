import type { Handle } from '@sveltejs/kit/hooks';
import { cspConnectSources } from '#lib/config/index.ts';
import { withConnectSrc } from '#lib/security/csp.ts';
import { isNoStorePath, SECURITY_HEADERS } from '#lib/security/headers.ts';

export const handle: Handle = async ({ event, resolve }) => {
  const response = await resolve(event);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.headers.set(name, value);
  const policy = response.headers.get('content-security-policy');
  if (policy) response.headers.set('content-security-policy', withConnectSrc(policy, cspConnectSources()));
  if (isNoStorePath(event.url.pathname)) {
    response.headers.set('cache-control', 'no-store');
    response.headers.set('pragma', 'no-cache');
  }
  return response;
};
