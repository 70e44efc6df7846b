// Google credentials, in gcloud's order: an explicit access token (CLOUDSDK_AUTH_ACCESS_TOKEN,
// then GOOGLE_OAUTH_ACCESS_TOKEN), else Application Default Credentials.
import { GoogleAuth, OAuth2Client } from 'google-auth-library';

export type GoogleAuthClient = OAuth2Client | GoogleAuth;

export function googleAuth(env: NodeJS.ProcessEnv = process.env): { client: GoogleAuthClient; source: string } {
  const token = env.CLOUDSDK_AUTH_ACCESS_TOKEN?.trim() || env.GOOGLE_OAUTH_ACCESS_TOKEN?.trim();
  if (token) {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: token });
    return {
      client,
      source: env.CLOUDSDK_AUTH_ACCESS_TOKEN?.trim() ? 'CLOUDSDK_AUTH_ACCESS_TOKEN' : 'GOOGLE_OAUTH_ACCESS_TOKEN',
    };
  }
  return {
    client: new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] }),
    source: 'application default credentials',
  };
}

/**
 * Why no Google credentials can be had, or undefined when they can: a token variable is enough
 * here (Google judges it on the first call, and a 401 is explained then); otherwise Application
 * Default Credentials must yield a token (a file from `gcloud auth application-default login`,
 * GOOGLE_APPLICATION_CREDENTIALS, or a metadata server). Sends no request to any Google API.
 */
export async function missingGoogleCredentials(
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 15_000,
): Promise<string | undefined> {
  const { client, source } = googleAuth(env);
  if (source !== 'application default credentials') return undefined;
  let timer: NodeJS.Timeout | undefined;
  // The metadata-server probe prints a MetadataLookupWarning on a laptop (no metadata server):
  // noise beside the message that says what to do, so it is dropped while the check runs.
  const emitWarning = process.emitWarning;
  process.emitWarning = ((w: string | Error, ...rest: unknown[]) => {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type !== 'MetadataLookupWarning') (emitWarning as (...a: unknown[]) => void).call(process, w, ...rest);
  }) as typeof process.emitWarning;
  try {
    await Promise.race([
      (client as GoogleAuth).getAccessToken(),
      new Promise((_r, reject) => {
        timer = setTimeout(() => reject(new Error(`no token within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      }),
    ]);
    return undefined;
  } catch (e) {
    return String((e as Error).message ?? e)
      .split('\n')[0]
      .replace(/\. Browse to .*$/, '');
  } finally {
    clearTimeout(timer);
    process.emitWarning = emitWarning;
  }
}
