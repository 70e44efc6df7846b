// The sign-in probe's walk, without a network: a scripted fetch answers each URL the way the
// sign-in chain might (evidence is silent on what follows auth.cloud.google/authorize, so every
// plausible shape is played: a direct redirect, hops on the sign-in origin, a chooser with links or
// a form, loops, a chooser without our provider), and the trace keeps names only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeSignin, type ProbeHop, type ProbeTarget } from '../src/core/verify/signin-probe.js';
import { settle } from '../src/core/verify.js';
import type { FetchLike } from '../src/lib/browserless.js';

const SVC = 'https://hello-abc.a.run.app';
const SIGNIN = 'https://auth.cloud.google';
const AUTH0 = 'tenant.eu.auth0.com';
const PROVIDER = 'locations/global/workforcePools/p/providers/auth0';
const CALLBACK = `${SIGNIN}/signin-callback/${PROVIDER}`;
const target: ProbeTarget = {
  serviceUrl: SVC,
  signinOrigin: SIGNIN,
  oauthClientId: 'cid-1',
  auth0Domain: AUTH0,
  auth0ClientId: 'a0cid',
  callback: CALLBACK,
  provider: PROVIDER,
};
const IAP_AUTHORIZE =
  `${SIGNIN}/authorize?client_id=cid-1&redirect_uri=` +
  `${encodeURIComponent('https://iap.googleapis.com/v1/oauth/clientIds/cid-1:handleRedirect')}&response_type=co` +
  `de&state=IAPSTATE123&provider_name=${encodeURIComponent(PROVIDER)}`;
const AUTH0_AUTHORIZE =
  `https://${AUTH0}/authorize?client_id=a0cid&redirect_uri=${encodeURIComponent(CALLBACK)}&state=STSSTATE456&no` +
  'nce=NONCE789&response_type=code';

type Answer = { status: number; location?: string; html?: string; cookies?: string[]; iap?: boolean };
/** A fetch that answers from a table keyed by "METHOD origin+path" (query ignored) and records what was asked. */
function scripted(table: Record<string, Answer | ((u: URL, body?: string) => Answer)>): {
  fetch: FetchLike;
  asked: string[];
} {
  const asked: string[] = [];
  const fetch: FetchLike = async (url, init) => {
    const key = `${init.method} ${url.origin}${url.pathname}`;
    asked.push(`${key}${url.search}${init.body ? ` body:${init.body}` : ''}`);
    const entry = table[key];
    const a = typeof entry === 'function' ? entry(url, init.body) : entry;
    if (!a) return new Response('not found', { status: 404 });
    const headers = new Headers();
    if (a.location) headers.set('location', a.location);
    if (a.iap) headers.set('x-goog-iap-generated-response', 'true');
    for (const c of a.cookies ?? []) headers.append('set-cookie', c);
    return new Response(a.html ?? '', { status: a.status, headers });
  };
  return { fetch, asked };
}
const base = (signin: Record<string, Answer | ((u: URL, body?: string) => Answer)>) => ({
  [`GET ${SVC}/`]: { status: 302, location: IAP_AUTHORIZE, iap: true },
  ...signin,
  [`GET https://${AUTH0}/authorize`]: {
    status: 302,
    location: `https://${AUTH0}/u/login?state=LOGINSTATE`,
    cookies: ['did=secretcookievalue; Path=/; Secure'],
  },
  [`GET https://${AUTH0}/u/login`]: {
    status: 200,
    html: '<form method="post"><input name="username"><input name="password" type="password"></form>',
  },
});
const run = async (table: Parameters<typeof scripted>[0], t: ProbeTarget = target) => {
  const s = scripted(table);
  const trace: ProbeHop[] = [];
  const r = await probeSignin(t, { fetch: s.fetch, trace });
  return { ...r, trace, asked: s.asked };
};
const signinLink = (provider: string) => `/signin/${provider}?continueUrl=${encodeURIComponent(IAP_AUTHORIZE)}`;

test(
  'each hop shape after /authorize reaches Auth0: direct, /signin/{provider}, a chooser with links, a chooser ' +
    'form',
  async () => {
    const direct = await run(base({ [`GET ${SIGNIN}/authorize`]: { status: 302, location: AUTH0_AUTHORIZE } }));
    assert.equal(direct.status, 'ok', direct.detail);
    assert.equal(direct.detail, 'unauthenticated GET → Google workforce sign-in → Auth0 /authorize → Auth0 login page');

    const path = await run(
      base({
        [`GET ${SIGNIN}/authorize`]: { status: 302, location: signinLink(PROVIDER) },
        [`GET ${SIGNIN}/signin/${PROVIDER}`]: { status: 302, location: AUTH0_AUTHORIZE },
      }),
    );
    assert.equal(path.status, 'ok', path.detail);
    assert.match(
      path.detail,
      /Google workforce sign-in \(\/authorize → \/signin\/locations\/global\/workforcePools\/p\/providers\/auth0\)/,
    );
    assert.deepEqual(
      path.trace.map((h) => h.kind),
      [
        'iap-redirect-to-workforce-signin',
        'workforce-redirect',
        'workforce-redirect-to-idp',
        'auth0-redirect-to-login',
        'auth0-login-form',
      ],
    );

    const other = 'locations/global/workforcePools/p/providers/okta';
    const links = await run(
      base({
        [`GET ${SIGNIN}/authorize`]: {
          status: 200,
          html:
            `<h1>Choose</h1><a href="${signinLink(other).replace(/&/g, '&amp;')}">Okta</a><a ` +
            `href="${signinLink(PROVIDER).replace(/&/g, '&amp;')}">Auth0</a>`,
        },
        [`GET ${SIGNIN}/signin/${PROVIDER}`]: { status: 302, location: AUTH0_AUTHORIZE },
      }),
    );
    assert.equal(links.status, 'ok', links.detail);
    assert.match(links.detail, /\/authorize: provider chooser → \/signin\//);
    assert.ok(
      links.asked.some((a) => a.startsWith(`GET ${SIGNIN}/signin/${PROVIDER}?continueUrl=`)),
      "followed our provider's link, not the first one",
    );

    // Google's console asks for the provider name when it has none (workforce-console-sso doc).
    let typed = '';
    const form = await run(
      base({
        [`GET ${SIGNIN}/authorize`]: {
          status: 200,
          html:
            '<form method="post" action="/signin/choose"><input type="hidden" name="continueUrl" value="x"><input ' +
            'type="text" name="providerName" placeholder="Provider name"><button>Next</button></form>',
        },
        [`POST ${SIGNIN}/signin/choose`]: (_u, body) => {
          typed = new URLSearchParams(body).get('providerName') ?? '';
          return { status: 302, location: AUTH0_AUTHORIZE };
        },
      }),
    );
    assert.equal(form.status, 'ok', form.detail);
    assert.equal(typed, PROVIDER);
    assert.equal(form.trace[2].method, 'POST');
  },
);

// Each way the walk fails, saying what was seen, is a test of its own: they share nothing but the script.
test('a chooser without our provider fails naming what it offered', async () => {
  const none = await run(
    base({
      [`GET ${SIGNIN}/authorize`]: {
        status: 200,
        html:
          '<p>Choose how to sign in:</p><a ' +
          `href="${signinLink('locations/global/workforcePools/p/providers/okta')}">Okta</a>`,
      },
    }),
  );
  assert.equal(none.status, 'failed');
  assert.match(
    none.detail,
    new RegExp(
      /showed a provider chooser offering locations\/global\/workforcePools\/p\/providers\/okta, not /.source +
        /locations\/global\/workforcePools\/p\/providers\/auth0/.source,
    ),
  );
  assert.match(none.hint!, /workforce-provider check/);
  assert.match(none.hint!, /verify --report FILE/);
  assert.equal(none.trace.at(-1)!.kind, 'provider-chooser');
});

test('a loop fails naming its hops, without query values', async () => {
  const loop = await run(
    base({
      [`GET ${SIGNIN}/authorize`]: { status: 302, location: `${SIGNIN}/signin/x` },
      [`GET ${SIGNIN}/signin/x`]: { status: 302, location: IAP_AUTHORIZE },
    }),
  );
  assert.equal(loop.status, 'failed');
  assert.match(loop.detail, /goes round in a loop: GET \/authorize → GET \/signin\/x → GET \/authorize/);
  assert.doesNotMatch(loop.detail, /IAPSTATE123/, 'no query values in messages');
});

test('too many hops fail, the walk bounded', async () => {
  let n = 0;
  const long = await run(
    base({ [`GET ${SIGNIN}/authorize`]: () => ({ status: 302, location: `${SIGNIN}/authorize?step=${++n}` }) }),
  );
  assert.equal(long.status, 'failed');
  assert.match(long.detail, /more than 5 steps/);
  assert.equal(long.trace.length, 1 + 5, 'bounded');
});

test('a hand-off to another provider fails naming it', async () => {
  const elsewhere = await run(
    base({
      [`GET ${SIGNIN}/authorize`]: {
        status: 302,
        location: signinLink('locations/global/workforcePools/p/providers/okta'),
      },
    }),
  );
  assert.equal(elsewhere.status, 'failed');
  assert.match(
    elsewhere.detail,
    /hands off to provider locations\/global\/workforcePools\/p\/providers\/okta, not .*auth0/,
  );
});

test('provider_name is optional; another provider named by IAP fails where the chain ends', async () => {
  // provider_name is optional; when present it must be ours.
  const noName = IAP_AUTHORIZE.replace(/&provider_name=[^&]*/, '');
  const optional = await run({
    ...base({ [`GET ${SIGNIN}/authorize`]: { status: 302, location: AUTH0_AUTHORIZE } }),
    [`GET ${SVC}/`]: { status: 302, location: noName, iap: true },
  });
  assert.equal(optional.status, 'ok', optional.detail);
  // Another provider of our pool named: judged where the chain ends.
  const okta = {
    [`GET ${SVC}/`]: {
      status: 302,
      location: IAP_AUTHORIZE.replace(/providers%2Fauth0/, 'providers%2Fokta'),
      iap: true,
    },
  };
  const named = await run({
    ...base({
      [`GET ${SIGNIN}/authorize`]: {
        status: 302,
        location: 'https://okta.example.com/oauth2/v1/authorize?client_id=o',
      },
    }),
    ...okta,
  });
  assert.equal(named.status, 'failed');
  assert.match(
    named.detail,
    new RegExp(
      /Google sends sign-in to https:\/\/okta\.example\.com, not to Auth0 at tenant\.eu\.auth0\.com /.source +
        /\(IAP named provider locations\/global\/workforcePools\/p\/providers\/okta\)/.source,
    ),
  );
  assert.match(named.hint!, /another provider that IAP picks first/);
  const picked = await run({
    ...base({
      [`GET ${SIGNIN}/authorize`]: {
        status: 200,
        html:
          `<a href="${signinLink('locations/global/workforcePools/p/providers/okta')}">Okta</a> <a ` +
          `href="${signinLink(PROVIDER)}">Auth0</a>`,
      },
      [`GET ${SIGNIN}/signin/${PROVIDER}`]: { status: 302, location: AUTH0_AUTHORIZE },
    }),
    ...okta,
  });
  assert.equal(picked.status, 'ok', 'a chooser still offering ours is fine');
  const otherPool = await run({
    ...base({}),
    [`GET ${SVC}/`]: {
      status: 302,
      location: IAP_AUTHORIZE.replace(/workforcePools%2Fp%2F/, 'workforcePools%2Fold%2F'),
      iap: true,
    },
  });
  assert.equal(otherPool.status, 'propagating');
});

test(
  'Google sign-in: propagating inside the window, a ' + 'diagnosis naming the --scope project fallback after it',
  async () => {
    const google = {
      [`GET ${SVC}/`]: {
        status: 302,
        location: 'https://accounts.google.com/o/oauth2/v2/auth?client_id=x&state=GSTATE',
        iap: true,
      },
    };
    const fresh = await run(google, { ...target, settingsAgeMs: 3 * 60_000, scope: 'service' });
    assert.equal(fresh.status, 'propagating');
    assert.equal(fresh.trace[0].kind, 'iap-redirect-to-google-signin');
    assert.deepEqual(fresh.trace[0].location, {
      host: 'accounts.google.com',
      path: '/o/oauth2/v2/auth',
      query: ['client_id', 'state'],
    });
    const unknown = await run(google, { ...target, scope: 'service' });
    assert.equal(unknown.status, 'propagating', 'without a recorded time, never a diagnosis');

    const cmd =
      'iap-auth0 destroy --force --keep deploy,auth0-app,workforce-pool,oauth-client && iap-auth0 init --scope ' +
      'project --yes';
    const late = await run(google, {
      ...target,
      settingsAgeMs: 11 * 60_000,
      scope: 'service',
      settingsResource: 'projects/1/iap_web/cloud_run-r/services/s',
      projectScopeCommand: cmd,
    });
    assert.equal(late.status, 'failed');
    assert.match(
      late.detail,
      new RegExp(
        /11 minutes after init wrote the workforce settings on the service /.source +
          /\(projects\/1\/iap_web\/cloud_run-r\/services\/s\)/.source,
      ),
    );
    assert.ok(late.detail.includes('past the propagation window'));
    assert.ok(late.hint!.endsWith(cmd), late.hint);
    assert.match(late.hint!, /project-level IAP settings/);

    const project = await run(google, { ...target, settingsAgeMs: 20 * 60_000, scope: 'project' });
    assert.equal(project.status, 'failed');
    assert.match(project.detail, /on the project/);
    assert.doesNotMatch(project.hint!, /--scope project/);

    // With a configuration check failing, the diagnosis is that check's consequence, not the window's.
    const [, probe] = settle([
      { id: 'iap-settings', stage: 'iap-settings', title: 'IAP settings', status: 'failed', detail: 'x', hint: 'y' },
      {
        id: 'signin-probe',
        stage: 'signin',
        title: 'Sign-in probe',
        status: late.status,
        detail: late.detail,
        hint: late.hint,
      },
    ]);
    assert.match(probe.detail, /a consequence of the failed checks above/);
    assert.match(probe.hint!, /fix the failed checks above first/);
  },
);

test(
  'the trace keeps method, host, path, status, parameter ' + 'and cookie names, and the page kind: never a value',
  async () => {
    const r = await run(
      base({
        [`GET ${SIGNIN}/authorize`]: {
          status: 302,
          location: signinLink(PROVIDER),
          cookies: ['__Host-WF=sessionvalue123; Path=/; Secure; HttpOnly'],
        },
        [`GET ${SIGNIN}/signin/${PROVIDER}`]: { status: 302, location: AUTH0_AUTHORIZE },
      }),
    );
    assert.equal(r.status, 'ok', r.detail);
    assert.equal(r.trace.length, 5);
    assert.deepEqual(r.trace[1], {
      ...r.trace[1],
      method: 'GET',
      host: 'auth.cloud.google',
      path: '/authorize',
      status: 302,
      query: ['client_id', 'redirect_uri', 'response_type', 'state', 'provider_name'],
      setCookies: ['__Host-WF'],
    });
    assert.deepEqual(r.trace[3].setCookies, ['did']);
    const text = JSON.stringify(r.trace);
    for (const value of [
      'IAPSTATE123',
      'STSSTATE456',
      'NONCE789',
      'LOGINSTATE',
      'sessionvalue123',
      'secretcookievalue',
      'cid-1',
      'a0cid',
    ]) {
      assert.ok(!text.includes(value), `${value} is not in the trace`);
    }
  },
);
