import { describe, expect, it } from 'vitest';
import { EARLY_TAP_SCRIPT_HASH, KIT_ANNOUNCER_STYLE_HASH, withConnectSrc } from './csp.ts';

describe('withConnectSrc', () => {
  it('replaces the placeholder directive and keeps the others in place', () => {
    const policy = "default-src 'none'; connect-src 'self'; frame-ancestors 'none'";
    expect(withConnectSrc(policy, ['http://127.0.0.1:8008', 'http://127.0.0.1:8090'])).toBe(
      "default-src 'none'; connect-src 'self' http://127.0.0.1:8008 http://127.0.0.1:8090; frame-ancestors 'none'",
    );
  });

  it('adds the directive when the policy has none', () => {
    expect(withConnectSrc("default-src 'none'", ['https://matrix.example'])).toBe(
      "default-src 'none'; connect-src 'self' https://matrix.example",
    );
  });

  it('does not mistake another directive for connect-src', () => {
    const policy = "connect-src-elem x; script-src 'self'";
    expect(withConnectSrc(policy, [])).toBe("connect-src-elem x; script-src 'self'; connect-src 'self'");
  });
});

describe('KIT_ANNOUNCER_STYLE_HASH', () => {
  it('matches the style attribute of the installed SvelteKit announcer', async () => {
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    const kitDir = require.resolve('@sveltejs/kit/package.json').replace(/package\.json$/, '');
    const root = readFileSync(`${kitDir}src/runtime/components/root.svelte`, 'utf8');
    const style = /id="svelte-announcer"[\s\S]*?style="([^"]*)"/.exec(root)?.[1];
    expect(style).toBeDefined();
    const hash = `sha256-${createHash('sha256')
      .update(style ?? '')
      .digest('base64')}`;
    expect(hash).toBe(KIT_ANNOUNCER_STYLE_HASH);
  });
});

describe('EARLY_TAP_SCRIPT_HASH', () => {
  it('matches the only inline script of app.html', async () => {
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const html = readFileSync(new URL('../../app.html', import.meta.url), 'utf8');
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1] ?? '');
    expect(scripts).toHaveLength(1);
    expect(
      `sha256-${createHash('sha256')
        .update(scripts[0] ?? '')
        .digest('base64')}`,
    ).toBe(EARLY_TAP_SCRIPT_HASH);
  });
});
