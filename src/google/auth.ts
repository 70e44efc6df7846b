// Google credentials, in gcloud's order: an explicit access token (CLOUDSDK_AUTH_ACCESS_TOKEN,
// then GOOGLE_OAUTH_ACCESS_TOKEN), else Application Default Credentials.
import { GoogleAuth, OAuth2Client } from 'google-auth-library';

export type GoogleAuthClient = OAuth2Client | GoogleAuth;

export function googleAuth(env: NodeJS.ProcessEnv = process.env): { client: GoogleAuthClient; source: string } {
  const token = env.CLOUDSDK_AUTH_ACCESS_TOKEN?.trim() || env.GOOGLE_OAUTH_ACCESS_TOKEN?.trim();
  if (token) {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: token });
    return { client, source: env.CLOUDSDK_AUTH_ACCESS_TOKEN?.trim() ? 'CLOUDSDK_AUTH_ACCESS_TOKEN' : 'GOOGLE_OAUTH_ACCESS_TOKEN' };
  }
  return { client: new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] }), source: 'application default credentials' };
}
