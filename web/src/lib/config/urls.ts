/**
 * Validators for the site's URLs. Pure, so env.ts (SvelteKit's config module) and the tests share them.
 * Errors name the variable and what is wrong, so a deployment fails at start with a useful line.
 */

/** An http(s) base URL without query or fragment, returned without a trailing slash. */
export function parseBaseUrl(name: string, value: string | undefined, fallback: string): string {
  const raw = value === undefined || value.trim() === '' ? fallback : value.trim();
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} must be an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${name} must use http or https, got "${url.protocol}"`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new Error(`${name} must not carry a query or a fragment`);
  }
  return url.href.replace(/\/+$/, '');
}

/** The origins the browser may connect to, for the CSP connect-src directive. */
export function connectOrigins(...urls: readonly string[]): string[] {
  return [...new Set(urls.map((url) => new URL(url).origin))];
}
