import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Context } from '../runtime/context.ts';
import { AddressBook } from '../intake/address-book.ts';
import { coolingDown, type CoolDown } from './cool-down.ts';

function contextWith(coolDowns: CoolDown[]): Context {
  return {
    store: { coolDowns: new Map(coolDowns.map((coolDown) => [coolDown.guest, coolDown])) },
  } as unknown as Context;
}

const base: CoolDown = {
  guest: '@guest-1:test',
  conversation: '!room:test',
  force: 'police',
  by: '@pn-agent-1:test',
  at: 0,
  until: 60_000,
  addresses: ['hash-a'],
};

describe('close and cool down', () => {
  it('refuses that guest and that address until the end, with the seconds left', () => {
    const ctx = contextWith([base]);
    expect(coolingDown(ctx, 30_000, { guest: '@guest-1:test' })).toBe(30);
    expect(coolingDown(ctx, 30_000, { guest: '@other:test', addressHash: 'hash-a' })).toBe(30);
  });

  it('never refuses anyone else, and nobody once it is over', () => {
    const ctx = contextWith([base]);
    expect(coolingDown(ctx, 30_000, { guest: '@other:test', addressHash: 'hash-b' })).toBeUndefined();
    expect(coolingDown(ctx, 60_000, { guest: '@guest-1:test', addressHash: 'hash-a' })).toBeUndefined();
    expect(coolingDown(contextWith([]), 0, { guest: '@guest-1:test' })).toBeUndefined();
  });
});

describe('the address book kept for cool-downs', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const fileIn = () => {
    const dir = mkdtempSync(join(tmpdir(), 'addresses-'));
    dirs.push(dir);
    return join(dir, 'open-addresses.json');
  };
  const hash = (digit: string) => digit.repeat(64);

  it('survives a restart, in a file only the bot can read, and forgets guests whose account ended', () => {
    const file = fileIn();
    const book = new AddressBook();
    book.persistTo(file);
    book.set('@1:test', hash('a'));
    book.set('@2:test', hash('b'));
    book.delete('@2:test');
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const again = new AddressBook();
    again.persistTo(file);
    expect(again.get('@1:test')).toBe(hash('a'));
    expect(again.get('@2:test')).toBeUndefined();
    again.retain((guest) => guest !== '@1:test');
    expect(again.size).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({});
  });

  it('starts afresh from a damaged file and ignores anything that is not a hash', () => {
    const file = fileIn();
    writeFileSync(file, '{"@1:test": "10.0.0.1", "@2:test": ');
    const damaged = new AddressBook();
    damaged.persistTo(file);
    expect(damaged.size).toBe(0);
    writeFileSync(file, JSON.stringify({ '@1:test': '10.0.0.1', '@2:test': hash('c') }));
    const partial = new AddressBook();
    partial.persistTo(file);
    expect(partial.get('@1:test')).toBeUndefined();
    expect(partial.get('@2:test')).toBe(hash('c'));
  });
});

describe('the address pseudonym', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('is an HMAC under a secret created once in the state dir (0600), with an IPv6 client counted by its /64', () => {
    const dir = mkdtempSync(join(tmpdir(), 'addresses-'));
    dirs.push(dir);
    const book = new AddressBook();
    book.persistTo(join(dir, 'open-addresses.json'));
    const secretFile = join(dir, 'address-secret');
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    const secret = Buffer.from(readFileSync(secretFile, 'utf8').trim(), 'hex');
    expect(secret.length).toBe(32);
    expect(book.hash('198.51.100.7')).toBe(createHmac('sha256', secret).update('198.51.100.7').digest('hex'));
    // Not what anyone can compute without the secret.
    expect(book.hash('198.51.100.7')).not.toBe(createHash('sha256').update('198.51.100.7').digest('hex'));
    expect(book.hash('2001:db8:7:7::1')).toBe(book.hash('2001:db8:7:7:aaaa::2'));
    expect(book.hash('2001:db8:7:7::1')).not.toBe(book.hash('2001:db8:7:8::1'));

    // A restart reads the same secret: hashes recorded before still match.
    const again = new AddressBook();
    again.persistTo(join(dir, 'open-addresses.json'));
    expect(readFileSync(secretFile, 'utf8').trim()).toBe(secret.toString('hex'));
    expect(again.hash('198.51.100.7')).toBe(book.hash('198.51.100.7'));
  });

  it('refuses a damaged secret rather than silently making every cool-down match nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'addresses-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'address-secret'), 'not a secret');
    expect(() => new AddressBook().persistTo(join(dir, 'open-addresses.json'))).toThrow(/address-secret/);
  });
});
