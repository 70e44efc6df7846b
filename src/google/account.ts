// Whose Google credentials a run uses, by name: Google's tokeninfo endpoint answers the account's email for an
// access token that carries the userinfo.email scope (gcloud's and Application Default Credentials' tokens do;
// https://cloud.google.com/docs/authentication/token-types#access-contents). A token without that scope, a
// tokeninfo that cannot be reached (a proxy, an offline laptop, a sandbox without it) or any odd answer gives
// undefined: the caller then says where the credentials come from instead, so this never blocks init.
import { googleAuth } from './auth.js';

export const DEFAULT_TOKENINFO_URL = 'https://oauth2.googleapis.com/tokeninfo';

/** IAP_AUTH0_GOOGLE_TOKENINFO_URL moves the endpoint (the sandbox sets it), else Google's. */
export const tokenInfoUrl = (env: NodeJS.ProcessEnv) =>
  env.IAP_AUTH0_GOOGLE_TOKENINFO_URL?.trim() || DEFAULT_TOKENINFO_URL;

/** The email of the account behind the credentials, or undefined when Google does not say within `timeoutMs`. */
export async function googleAccountEmail(
  env: NodeJS.ProcessEnv,
  o: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<string | undefined> {
  const signals = [AbortSignal.timeout(o.timeoutMs ?? 5_000), ...(o.signal ? [o.signal] : [])];
  try {
    const { client } = googleAuth(env);
    const token = (await client.getAccessToken()) as string | { token?: string | null } | null | undefined;
    const value = typeof token === 'string' ? token : token?.token;
    if (!value) return undefined;
    // POST, so the token is never part of a URL a proxy might log.
    const res = await fetch(tokenInfoUrl(env), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: value }).toString(),
      signal: AbortSignal.any(signals),
    });
    if (!res.ok) return undefined;
    const info = (await res.json()) as { email?: unknown };
    return typeof info.email === 'string' && /^[^\s@]+@[^\s@]+$/.test(info.email) ? info.email : undefined;
  } catch {
    return undefined;
  }
}
