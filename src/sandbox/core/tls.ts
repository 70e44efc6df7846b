// The sandbox's own certificate authority. Auth0, the sign-in origin and every front door speak
// HTTPS like the real services, with a leaf certificate for 127.0.0.1/localhost signed by a CA
// generated per sandbox; clients trust it through NODE_EXTRA_CA_CERTS (the CA file).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import path from 'node:path';
import forge from 'node-forge';

export interface TlsMaterial {
  key: string;
  cert: string;
  ca: string;
  caFile: string;
}

/** RSA keys come from Node's native generator (fast); node-forge only builds and signs the certificates. */
function rsaKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { privatePem: privateKey, publicPem: publicKey };
}

function certificate(o: {
  publicPem: string;
  subjectCn: string;
  issuer?: forge.pki.Certificate;
  signingKeyPem: string;
  ca: boolean;
}): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(o.publicPem);
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 30 * 86_400_000);
  const subject = [{ name: 'commonName', value: o.subjectCn }];
  cert.setSubject(subject);
  cert.setIssuer(o.issuer ? o.issuer.subject.attributes : subject);
  cert.setExtensions(
    o.ca
      ? [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
          { name: 'subjectKeyIdentifier' },
        ]
      : [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
          { name: 'extKeyUsage', serverAuth: true },
          {
            name: 'subjectAltName',
            altNames: [
              { type: 7, ip: '127.0.0.1' },
              { type: 2, value: 'localhost' },
            ],
          },
        ],
  );
  cert.sign(forge.pki.privateKeyFromPem(o.signingKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** A self-signed RSA certificate (the Auth0 tenant's signing certificate), with its PKCS#7 form. */
export function selfSignedRsa(
  commonName: string,
  days: number,
): { privatePem: string; certPem: string; pkcs7: string } {
  const k = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(k.publicPem);
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + days * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer([{ name: 'commonName', value: commonName }]);
  cert.sign(forge.pki.privateKeyFromPem(k.privatePem), forge.md.sha256.create());
  const p7 = forge.pkcs7.createSignedData();
  p7.addCertificate(cert);
  return { privatePem: k.privatePem, certPem: forge.pki.certificateToPem(cert), pkcs7: forge.pkcs7.messageToPem(p7) };
}

/**
 * Creates the CA (or, with `caDir`, reuses the one kept there, so a process started with
 * NODE_EXTRA_CA_CERTS pointing at it trusts every sandbox it starts later) and a leaf for 127.0.0.1.
 */
export async function createTls(dir: string, caDir?: string): Promise<TlsMaterial> {
  let ca = caDir ? await loadCa(caDir) : undefined;
  const fresh = !ca;
  if (!ca) {
    const k = rsaKeyPair();
    ca = {
      cert: certificate({
        publicPem: k.publicPem,
        subjectCn: 'iap-auth0 sandbox CA',
        signingKeyPem: k.privatePem,
        ca: true,
      }),
      private: k.privatePem,
    };
  }
  const leafKey = rsaKeyPair();
  const leafCert = certificate({
    publicPem: leafKey.publicPem,
    subjectCn: '127.0.0.1',
    issuer: forge.pki.certificateFromPem(ca.cert),
    signingKeyPem: ca.private,
    ca: false,
  });
  const home = caDir ?? dir;
  await mkdir(home, { recursive: true, mode: 0o700 });
  const caFile = path.join(home, 'sandbox-ca.pem');
  // A reused CA is never rewritten: sandboxes sharing a CA folder start concurrently (the test
  // suite runs two at once), and a rewrite caught half-written by another's read made that one
  // mint a CA of its own, which every client trusting the shared one then refused. A new CA is
  // written atomically (a temporary file renamed into place), the key first.
  if (fresh || !caDir) {
    if (caDir) {
      // The CA key is kept only in a folder the caller chose for reuse; mode 0600.
      await writeAtomic(path.join(caDir, 'sandbox-ca-key.pem'), ca.private, 0o600);
    }
    await writeAtomic(caFile, ca.cert, 0o644);
  }
  return { key: leafKey.privatePem, cert: leafCert, ca: ca.cert, caFile };
}

async function loadCa(caDir: string): Promise<{ cert: string; private: string } | undefined> {
  try {
    const [cert, key] = await Promise.all([
      readFile(path.join(caDir, 'sandbox-ca.pem'), 'utf8'),
      readFile(path.join(caDir, 'sandbox-ca-key.pem'), 'utf8'),
    ]);
    // A CA kept from another version (an EC key, say) that node-forge cannot use is replaced.
    forge.pki.privateKeyFromPem(key);
    forge.pki.certificateFromPem(cert);
    return { cert, private: key };
  } catch {
    return undefined;
  }
}

async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, text, { mode });
  await rename(tmp, file);
}
