// Google's OAuth 2.0 tokeninfo endpoint (https://oauth2.googleapis.com/tokeninfo): given an access token (query
// or form body), what it is. Real answers (https://cloud.google.com/docs/authentication/token-types#access-contents,
// https://developers.google.com/identity/protocols/oauth2/web-server, "tokeninfo"): 200 with azp, aud, scope, exp,
// expires_in, access_type, and email / email_verified when the token carries the userinfo.email scope (gcloud's
// tokens do); 400 {"error":"invalid_token","error_description":"Invalid Value"} for a token Google does not know.
// The sandbox's developer token is a user token with that scope; a service account's principal answers its email.
import type http from 'node:http';
import { readBody, send } from '../core/http.js';
import type { World } from '../world.js';

const SCOPES = 'openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/cloud-platform';

export function tokenInfoHandler(world: World): http.RequestListener {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const record = (status: number) =>
      world.record({ api: 'tokeninfo', method, path: url.pathname, status, mutating: false });
    if (url.pathname !== '/tokeninfo' || (method !== 'GET' && method !== 'POST')) {
      record(404);
      return send(res, { status: 404, text: 'Not Found' });
    }
    const raw = await readBody(req);
    const form = new URLSearchParams(raw);
    const token = (url.searchParams.get('access_token') ?? form.get('access_token') ?? '').trim();
    const known = token ? world.googleTokens.get(token) : undefined;
    if (!known) {
      record(400);
      return send(res, { status: 400, json: { error: 'invalid_token', error_description: 'Invalid Value' } });
    }
    const email = known.principal.replace(/^(user|serviceAccount):/, '');
    const expires = 3599;
    record(200);
    send(res, {
      json: {
        azp: '32555940559.apps.googleusercontent.com',
        aud: '32555940559.apps.googleusercontent.com',
        scope: SCOPES,
        exp: String(Math.floor(world.clock.now() / 1000) + expires),
        expires_in: String(expires),
        email,
        email_verified: 'true',
        access_type: 'offline',
      },
    });
  };
}
