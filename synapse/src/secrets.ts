import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { HomeserverError } from './errors.ts';

export interface HomeserverSecrets {
  registrationSharedSecret: string;
  macaroonSecretKey: string;
  formSecret: string;
}

const KEYS: ReadonlyArray<keyof HomeserverSecrets> = ['registrationSharedSecret', 'macaroonSecretKey', 'formSecret'];

function fresh(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Reads the homeserver secrets from `file`, creating them on first use (mode 0600, outside git).
 * Every install therefore has its own secrets; none is ever committed or derived from anything guessable.
 */
export function loadOrCreateSecrets(file: string): HomeserverSecrets {
  if (existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (cause) {
      throw new HomeserverError('CONFIG_INVALID', `${file} is not valid JSON; remove it to generate new secrets`, {
        cause,
      });
    }
    const record = parsed as Record<string, unknown>;
    for (const key of KEYS) {
      if (typeof record[key] !== 'string' || (record[key] as string).length < 32) {
        throw new HomeserverError('CONFIG_INVALID', `${file}: "${key}" is missing or too short`);
      }
    }
    chmodSync(file, 0o600);
    return record as unknown as HomeserverSecrets;
  }
  const secrets: HomeserverSecrets = {
    registrationSharedSecret: fresh(),
    macaroonSecretKey: fresh(),
    formSecret: fresh(),
  };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  return secrets;
}
