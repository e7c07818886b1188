import { describe, expect, it } from 'vitest';
import { connectOrigins, parseBaseUrl } from './urls.ts';

describe('parseBaseUrl', () => {
  it('falls back when the variable is unset or blank', () => {
    expect(parseBaseUrl('X', undefined, 'http://127.0.0.1:8008')).toBe('http://127.0.0.1:8008');
    expect(parseBaseUrl('X', '  ', 'http://127.0.0.1:8008/')).toBe('http://127.0.0.1:8008');
  });

  it('keeps a path prefix without its trailing slash', () => {
    expect(parseBaseUrl('X', 'https://example.org/bot/', 'http://a')).toBe('https://example.org/bot');
  });

  it('names the variable when the value is not a URL', () => {
    expect(() => parseBaseUrl('PUBLIC_HOMESERVER_URL', 'matrix', 'http://a')).toThrow(/PUBLIC_HOMESERVER_URL/);
  });

  it('refuses other schemes and query strings', () => {
    expect(() => parseBaseUrl('X', 'javascript:alert(1)', 'http://a')).toThrow(/http or https/);
    expect(() => parseBaseUrl('X', 'https://a.example/?x=1', 'http://a')).toThrow(/query/);
  });
});

describe('connectOrigins', () => {
  it('reduces URLs to distinct origins', () => {
    expect(connectOrigins('https://a.example/bot', 'https://a.example', 'http://127.0.0.1:8008')).toEqual([
      'https://a.example',
      'http://127.0.0.1:8008',
    ]);
  });
});
