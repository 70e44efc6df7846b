// The sandbox's own certificate authority. Auth0, the sign-in origin and every front door speak
// HTTPS like the real services, with a leaf certificate for 127.0.0.1/localhost signed by a CA
// generated per sandbox; clients trust it through NODE_EXTRA_CA_CERTS (the CA file).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import selfsigned from 'selfsigned';

export interface TlsMaterial { key: string; cert: string; ca: string; caFile: string }

/**
 * Creates the CA (or, with `caDir`, reuses the one kept there, so a process started with
 * NODE_EXTRA_CA_CERTS pointing at it trusts every sandbox it starts later) and a leaf for 127.0.0.1.
 */
export async function createTls(dir: string, caDir?: string): Promise<TlsMaterial> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 30 * 86_400_000);
  const ca = (caDir && await loadCa(caDir)) || await selfsigned.generate([{ name: 'commonName', value: 'iap-auth0 sandbox CA' }], {
    keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notBeforeDate, notAfterDate,
    extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }],
  });
  const leaf = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notBeforeDate, notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  } as any);
  const home = caDir ?? dir;
  await mkdir(home, { recursive: true, mode: 0o700 });
  const caFile = path.join(home, 'sandbox-ca.pem');
  if (caDir) {
    // The CA key is kept only in a folder the caller chose for reuse; mode 0600.
    await writeFile(path.join(caDir, 'sandbox-ca-key.pem'), ca.private, { mode: 0o600 });
  }
  await writeFile(caFile, ca.cert, { mode: 0o644 });
  return { key: leaf.private, cert: leaf.cert, ca: ca.cert, caFile };
}

async function loadCa(caDir: string): Promise<{ cert: string; private: string } | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(path.join(caDir, 'sandbox-ca.pem'), 'utf8'), readFile(path.join(caDir, 'sandbox-ca-key.pem'), 'utf8')]);
    return { cert, private: key };
  } catch { return undefined; }
}
