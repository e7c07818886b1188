import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateSecrets } from './secrets.ts';

describe('loadOrCreateSecrets', () => {
  it('creates secrets readable by their owner only, and finds the same ones again', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'secrets-')), 'state', 'secrets.json');
    const first = loadOrCreateSecrets(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSecrets(file)).toEqual(first);
  });

  it('gives two installs different secrets', () => {
    const a = loadOrCreateSecrets(join(mkdtempSync(join(tmpdir(), 'secrets-')), 'secrets.json'));
    const b = loadOrCreateSecrets(join(mkdtempSync(join(tmpdir(), 'secrets-')), 'secrets.json'));
    expect(a.registrationSharedSecret).not.toBe(b.registrationSharedSecret);
    expect(a.macaroonSecretKey).not.toBe(b.macaroonSecretKey);
    expect(a.formSecret).not.toBe(b.formSecret);
  });

  it('refuses a damaged file with a clear message instead of replacing it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'secrets-')), 'secrets.json');
    writeFileSync(file, '{"registrationSharedSecret": "short"}');
    expect(() => loadOrCreateSecrets(file)).toThrow(/registrationSharedSecret.*missing or too short/);
  });
});
