import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './processes';

/**
 * A throwaway CA and a server certificate for 127.0.0.1/localhost signed by it, in the file
 * names spice-server expects in its X509 directory.
 */
export async function makeCertificates(dir: string): Promise<{ ca: Buffer }> {
  const ca = join(dir, 'ca-cert.pem');
  const caKey = join(dir, 'ca-key.pem');
  const key = join(dir, 'server-key.pem');
  const csr = join(dir, 'server.csr');
  const cert = join(dir, 'server-cert.pem');
  const ext = join(dir, 'san.ext');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    ca,
    '-days',
    '2',
    '-subj',
    '/CN=screencap test CA',
  ]);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=localhost']);
  await run('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > '${ext}'`]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '2',
    '-extfile',
    ext,
  ]);
  return { ca: readFileSync(ca) };
}
