// Where each Google API lives. Real hosts by default; gcloud's CLOUDSDK_API_ENDPOINT_OVERRIDES_*
// variables move an API elsewhere (the sandbox sets them). googleapis keeps only the origin of a
// client-level rootUrl, so each override must be an origin: a path prefix would be dropped.

export type GoogleApi = 'iam' | 'run' | 'iap' | 'cloudresourcemanager' | 'serviceusage';

export const DEFAULT_ROOTS: Record<GoogleApi, string> = {
  iam: 'https://iam.googleapis.com/',
  run: 'https://run.googleapis.com/',
  iap: 'https://iap.googleapis.com/',
  cloudresourcemanager: 'https://cloudresourcemanager.googleapis.com/',
  serviceusage: 'https://serviceusage.googleapis.com/',
};

export class EndpointError extends Error {
  constructor(
    readonly variable: string,
    readonly value: string,
    reason: string,
  ) {
    super(
      `${variable}="${value}" is not usable: ${reason}. Set it to the API's root URL, e.g. ` +
        `http://127.0.0.1:7101/, or unset it to use Google's own host.`,
    );
  }
}

/** The root URL (origin plus trailing slash) of each API, honouring the override variables. */
export function apiRoots(env: NodeJS.ProcessEnv = process.env): Record<GoogleApi, string> {
  const out = { ...DEFAULT_ROOTS };
  for (const api of Object.keys(DEFAULT_ROOTS) as GoogleApi[]) {
    const variable = `CLOUDSDK_API_ENDPOINT_OVERRIDES_${api.toUpperCase()}`;
    const value = env[variable]?.trim();
    if (!value) continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new EndpointError(variable, value, 'it is not a URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new EndpointError(variable, value, 'only http and https URLs work');
    // gcloud overrides often end in /v1/ (e.g. https://iam.googleapis.com/v1/); the clients add the
    // version themselves, so a version path is tolerated and dropped, anything else is refused.
    if (!/^\/((v\d+(beta\d*|alpha\d*)?)\/?)?$/.test(url.pathname))
      throw new EndpointError(
        variable,
        value,
        'a path prefix cannot be honoured (the Google clients keep only the origin); give each API its own ' +
          'host or port',
      );
    out[api] = url.origin + '/';
  }
  return out;
}

export const signinOrigin = (env: NodeJS.ProcessEnv = process.env) =>
  (env.IAP_AUTH0_SIGNIN_ORIGIN?.trim() || 'https://auth.cloud.google').replace(/\/+$/, '');
