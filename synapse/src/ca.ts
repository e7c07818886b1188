/**
 * The deployment's own certificate authority, for federation among its homeservers only (docs/architecture.md,
 * "Federated topology"). Generated once per deployment with openssl; every key stays in the data folder, mode 0600.
 * No public CA is involved: a certificate from anywhere else does not make a server part of the federation, and
 * this CA's certificates mean nothing outside it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { HomeserverError } from './errors.ts';

export interface DeploymentCa {
  dir: string;
  certificate: string;
  key: string;
}

export interface ServerCertificate {
  certificate: string;
  key: string;
}

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  if (result.error) {
    throw new HomeserverError(
      'START_FAILED',
      `openssl could not run (apt-get install openssl): ${result.error.message}`,
      { cause: result.error },
    );
  }
  if (result.status !== 0) {
    throw new HomeserverError('START_FAILED', `openssl ${args[0]} failed: ${result.stderr.slice(-1000)}`);
  }
}

/** Reads the CA in `dir`, creating it on first use. */
export function ensureDeploymentCa(dir: string): DeploymentCa {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = { dir, certificate: join(dir, 'ca.pem'), key: join(dir, 'ca.key') };
  if (existsSync(ca.certificate) && existsSync(ca.key)) return ca;
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-days',
    '3650',
    '-keyout',
    ca.key,
    '-out',
    ca.certificate,
    '-subj',
    '/O=Espace mineurs/CN=Espace mineurs federation CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  chmodSync(ca.key, 0o600);
  return ca;
}

/**
 * A certificate for one homeserver's federation listener, signed by the deployment CA, for `host` (an IP address
 * or a DNS name: the server name without its port). Reused while it exists.
 */
export function ensureServerCertificate(ca: DeploymentCa, dir: string, host: string): ServerCertificate {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const issued = { certificate: join(dir, 'federation.crt'), key: join(dir, 'federation.key') };
  if (existsSync(issued.certificate) && existsSync(issued.key)) return issued;
  const request = join(dir, 'federation.csr');
  const extensions = join(dir, 'federation.ext');
  const san = isIP(host) ? `IP:${host}` : `DNS:${host}`;
  writeFileSync(
    extensions,
    `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=${san}\n`,
  );
  openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-keyout',
    issued.key,
    '-out',
    request,
    '-subj',
    `/O=Espace mineurs/CN=${host}`,
  ]);
  openssl([
    'x509',
    '-req',
    '-in',
    request,
    '-CA',
    ca.certificate,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-sha256',
    '-days',
    '825',
    '-extfile',
    extensions,
    '-out',
    issued.certificate,
  ]);
  chmodSync(issued.key, 0o600);
  rmSync(request, { force: true });
  rmSync(extensions, { force: true });
  return issued;
}
