/**
 * A throw-away CA and a server certificate for 127.0.0.1 it signed, made with openssl, for testing TLS trust:
 * trusted through the CA, accepted with skip-verify, refused otherwise.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../lab/processes';

export interface TestCertificates {
  caFile: string;
  caPem: string;
  serverKeyPem: string;
  serverCertPem: string;
}

export async function makeCertificates(dir: string): Promise<TestCertificates> {
  const path = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', path('ca.key'), '-out', path('ca.crt'), '-days', '2', '-subj', '/CN=headroom test CA'], 'openssl CA');
  await run('openssl', ['req', ...ec, '-keyout', path('server.key'), '-out', path('server.csr'), '-subj', '/CN=127.0.0.1'], 'openssl server key');
  await writeFile(path('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await run(
    'openssl',
    ['x509', '-req', '-in', path('server.csr'), '-CA', path('ca.crt'), '-CAkey', path('ca.key'), '-CAcreateserial',
      '-out', path('server.crt'), '-days', '2', '-extfile', path('server.ext')],
    'openssl server certificate',
  );
  return {
    caFile: path('ca.crt'),
    caPem: await readFile(path('ca.crt'), 'utf8'),
    serverKeyPem: await readFile(path('server.key'), 'utf8'),
    serverCertPem: await readFile(path('server.crt'), 'utf8'),
  };
}
