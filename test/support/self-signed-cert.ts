import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSignedCert {
  /** PEM certificate; also the CA a client must trust. */
  cert: string;
  /** PEM private key. */
  key: string;
}

/**
 * A throwaway certificate for 127.0.0.1 and localhost, made with the openssl CLI (node:crypto can make keys but not
 * X.509 certificates). Valid for one day; an EC key keeps generation fast.
 */
export function makeSelfSignedCert(commonName = 'fake-kube-apiserver'): SelfSignedCert {
  const dir = mkdtempSync(join(tmpdir(), 'brickyard-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${commonName}`,
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-addext', 'basicConstraints=critical,CA:TRUE',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
