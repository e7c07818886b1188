import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The client's own XSS fence, run by `npm test`: room content (bodies, display names, room names) must only
 * ever reach the DOM as text. Any {@html} tag, or raw HTML sinks in script code, fails the build. There is no
 * allow-list on purpose: if markup is ever needed, render it from a vetted structure, not from a string.
 */
const ROOT = import.meta.dirname;
const FORBIDDEN: Array<{ pattern: RegExp; why: string }> = [
  { pattern: /\{@html\b/, why: '{@html} renders a string as markup' },
  { pattern: /\.(innerHTML|outerHTML)\s*=/, why: 'innerHTML/outerHTML assignment' },
  { pattern: /insertAdjacentHTML\s*\(/, why: 'insertAdjacentHTML' },
  { pattern: /document\.write\s*\(/, why: 'document.write' },
];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(svelte|ts|js|html)$/.test(entry.name) && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('no raw HTML rendering in agent-client/src', () => {
  const files = sources(ROOT);
  it('finds the sources it checks', () => {
    expect(files.some((file) => file.endsWith('.svelte'))).toBe(true);
  });
  it.each(files.map((file) => [relative(ROOT, file), file]))('%s renders text only', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const found = FORBIDDEN.filter(({ pattern }) => pattern.test(text)).map(({ why }) => why);
    expect(found, `forbidden in ${file}`).toEqual([]);
  });
});
