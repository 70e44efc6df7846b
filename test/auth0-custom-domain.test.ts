// An Auth0 tenant with a custom domain (startSandbox({ auth0CustomDomain: true })): tokens minted
// through the custom domain carry its issuer, the Management API belongs to the tenant's own
// domain. First the sandbox's fidelity (docs/SANDBOX.md "Auth0 custom domain"), then the product:
// init signs users in on the custom domain while calling the Management API on AUTH0_DOMAIN,
// verify --wait passes, a real sign-in works, destroy is clean; AUTH0_DOMAIN set to the custom
// domain is refused with the fix; several domains, an explicit --auth0-issuer-domain, and a
// missing read:custom_domains scope each do what the README says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { useSandbox, requestLog } from './helpers/sandbox.js';
import { runCli } from './helpers/cli.js';
import { assertNoSecretLeaked } from './helpers/secrets.js';
import { Browserless } from './helpers/browserless.js';

const sb = await useSandbox({ auth0CustomDomain: true });
const tenant = sb.env.AUTH0_DOMAIN;
const custom = sb.auth0CustomDomain!;
const lastSeq = async () => (await requestLog(sb)).at(-1)?.seq ?? 0;
const fresh = () => mkdtemp(path.join(os.tmpdir(), 'iap-auth0-cd-'));
const outputs: string[] = [];
const dirs: string[] = [];

async function token(domain: string, audience: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`https://${domain}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sb.env.AUTH0_CLIENT_ID,
      client_secret: sb.env.AUTH0_CLIENT_SECRET,
      audience,
    }).toString(),
  });
  return { status: res.status, json: await res.json() };
}
const api = async (domain: string, bearer: string, p: string) =>
  fetch(`https://${domain}/api/v2${p}`, { headers: { authorization: `Bearer ${bearer}` } });

test('the sandbox tenant with a custom domain', async () => {
  assert.ok(custom && custom !== tenant, 'a second origin');
  const onCustom = (await (await fetch(`https://${custom}/.well-known/openid-configuration`)).json()) as any;
  assert.equal(onCustom.issuer, `https://${custom}/`);
  for (const k of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri'])
    assert.equal(new URL(onCustom[k]).host, custom, k);
  const onTenant = (await (await fetch(`https://${tenant}/.well-known/openid-configuration`)).json()) as any;
  assert.equal(onTenant.issuer, `https://${tenant}/`);
  // The keys are the tenant's, whichever domain publishes them.
  assert.deepEqual(await (await fetch(onCustom.jwks_uri)).json(), await (await fetch(onTenant.jwks_uri)).json());

  // The Management API's audience is the tenant's, on the custom domain too.
  const wrongAudience = await token(custom, `https://${custom}/api/v2/`);
  assert.equal(wrongAudience.status, 403);
  assert.deepEqual(wrongAudience.json, {
    error: 'access_denied',
    error_description: `Service not enabled within domain: https://${custom}/api/v2/`,
  });
  const viaCustom = await token(custom, `https://${tenant}/api/v2/`);
  assert.equal(viaCustom.status, 200);
  assert.equal(decodeJwt(viaCustom.json.access_token).iss, `https://${custom}/`, 'minted through the custom domain');
  assert.equal(decodeJwt(viaCustom.json.access_token).aud, `https://${tenant}/api/v2/`);
  const viaTenant = await token(tenant, `https://${tenant}/api/v2/`);
  assert.equal(decodeJwt(viaTenant.json.access_token).iss, `https://${tenant}/`);
  sb.world.issuedSecrets.add(viaCustom.json.access_token).add(viaTenant.json.access_token);
  // A token is good only on the domain that minted it.
  assert.equal((await api(tenant, viaCustom.json.access_token, '/clients')).status, 401);
  assert.equal((await api(custom, viaTenant.json.access_token, '/clients')).status, 401);
  assert.equal((await api(custom, viaCustom.json.access_token, '/clients')).status, 200);
  assert.equal((await api(tenant, viaTenant.json.access_token, '/clients')).status, 200);

  // The tenant lists its custom domain, ready, with read:custom_domains.
  const list = await api(tenant, viaTenant.json.access_token, '/custom-domains');
  assert.equal(list.status, 200);
  const domains = (await list.json()) as any[];
  assert.equal(domains.length, 1);
  assert.deepEqual(
    [domains[0].domain, domains[0].status, domains[0].primary, domains[0].type],
    [custom, 'ready', true, 'auth0_managed_certs'],
  );
  assert.match(domains[0].custom_domain_id, /^cd_/);
  const one = await api(tenant, viaTenant.json.access_token, `/custom-domains/${domains[0].custom_domain_id}`);
  assert.equal(((await one.json()) as any).domain, custom);
  sb.world.auth0M2M.scopes.delete('read:custom_domains');
  try {
    const narrow = await token(tenant, `https://${tenant}/api/v2/`);
    sb.world.issuedSecrets.add(narrow.json.access_token);
    const refused = await api(tenant, narrow.json.access_token, '/custom-domains');
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as any).message, /Insufficient scope, expected any of: read:custom_domains/);
  } finally {
    sb.world.auth0M2M.scopes.add('read:custom_domains');
  }
  // Sign-in stays on the domain it started on: /authorize on the tenant's domain goes to its own login page.
  const app = [...sb.world.auth0Clients.values()].find((c) => c.name === 'Default App')!;
  app.callbacks = ['https://example.com/cb'];
  const q = new URLSearchParams({
    client_id: app.client_id,
    redirect_uri: 'https://example.com/cb',
    response_type: 'code',
    scope: 'openid',
  });
  for (const d of [tenant, custom]) {
    const res = await fetch(`https://${d}/authorize?${q}`, { redirect: 'manual' });
    assert.equal(res.status, 302, d);
    assert.equal(new URL(res.headers.get('location')!, `https://${d}/`).host, d, `login page on ${d}`);
  }
  // The custom domain's requests are told apart in the request log.
  assert.ok((await requestLog(sb)).some((x: any) => x.api === 'auth0' && x.customDomain === true));
});

test(
  'init signs users in on the custom domain, the Management API stays on AUTH0_DOMAIN; verify, a real sign-in, ' +
    'destroy',
  async () => {
    const cwd = await fresh();
    dirs.push(cwd);
    const since = await lastSeq();
    const r = await runCli(['init', '--json', '--service', 'brand'], sb.env, cwd);
    outputs.push(r.stdout, r.stderr);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.auth0, {
      domain: tenant,
      signInDomain: custom,
      issuer: `https://${custom}/`,
      via: 'custom-domain',
    });
    assert.deepEqual(doc.warnings, []);
    const state = JSON.parse(await readFile(path.join(cwd, '.iap-auth0', 'state.json'), 'utf8'));
    assert.equal(state.inputs.auth0Domain, tenant);
    assert.equal(state.inputs.auth0IssuerDomain, undefined, 'found, not chosen: not pinned in the state file');
    assert.equal(state.stages['auth0-app'].resources.signInIssuer, `https://${custom}/`);
    const provider = sb.world.providers.get(`${state.inputs.pool}/${state.inputs.provider}`)!;
    assert.equal(provider.oidc.issuerUri, `https://${custom}/`, 'the provider signs in through the custom domain');

    const auth0 = (await requestLog(sb, since)).filter((x: any) => x.api === 'auth0');
    const managementCalls = auth0.filter(
      (x: any) => x.path.startsWith('/api/v2/') || (x.method === 'POST' && x.path === '/oauth/token'),
    );
    assert.ok(managementCalls.length >= 5);
    assert.deepEqual(
      managementCalls.filter((x: any) => x.customDomain),
      [],
      "every Management API call and its token on the tenant's domain",
    );
    assert.deepEqual(
      auth0.filter((x: any) => x.customDomain).map((x: any) => `${x.method} ${x.path}`),
      ['GET /.well-known/openid-configuration'],
      'the custom domain is asked for its discovery only',
    );

    const v = await runCli(['verify', '--wait', '30s', '--json'], sb.env, cwd);
    outputs.push(v.stdout, v.stderr);
    assert.equal(v.code, 0, v.stdout);
    const checks = Object.fromEntries(JSON.parse(v.stdout).checks.map((c: any) => [c.id, c]));
    assert.match(
      checks['auth0-discovery'].detail,
      new RegExp(
        `issuer https://${custom}/ \\(sign-in on the tenant's custom domain ${custom}; Management API on ${tenant}\\)`,
      ),
    );
    assert.match(checks['workforce-provider'].detail, new RegExp(`issuer https://${custom}/`));
    assert.equal(checks['signin-probe'].status, 'ok');

    // A real sign-in: IAP → Google's workforce sign-in → the custom domain's login page → STS (code
    // exchanged at the custom domain, ID token iss = the custom domain) → IAP → the app.
    const page = await new Browserless().signIn(
      `${doc.serviceUrl}/`,
      sb.env.IAP_AUTH0_TEST_USER_EMAIL,
      sb.env.IAP_AUTH0_TEST_USER_PASSWORD,
    );
    assert.equal(page.status, 200, page.text.slice(0, 300));
    assert.match(page.text, /IAP assertion verified/);
    const loginHops = page.hops.filter((h) => /\/u\/login/.test(h.url));
    assert.ok(
      loginHops.length > 0 && loginHops.every((h) => new URL(h.url).host === custom),
      "the login page was the custom domain's",
    );
    assert.ok(
      page.hops.every((h) => new URL(h.url).host !== tenant),
      "the browser never saw the tenant's domain",
    );

    const d = await runCli(['destroy', '--force'], sb.env, cwd);
    outputs.push(d.stdout, d.stderr);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(
      sb.world.auth0Clients.has(state.stages['auth0-app'].resources.clientId),
      false,
      'the Auth0 app is gone',
    );
    assert.equal(sb.world.providers.get(`${state.inputs.pool}/${state.inputs.provider}`)?.state, 'DELETED');
  },
);

test('AUTH0_DOMAIN set to the custom domain: exit 2 saying so, nothing changed', async () => {
  for (const mode of [['--yes'], ['--yes', '--dry-run']]) {
    const cwd = await fresh();
    dirs.push(cwd);
    const since = await lastSeq();
    const r = await runCli(['init', '--service', 'oops', ...mode], { ...sb.env, AUTH0_DOMAIN: custom }, cwd);
    outputs.push(r.stdout, r.stderr);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `AUTH0_DOMAIN is ${custom}, which is not your Auth0 tenant's own domain but most likely one of its ` +
          'custom domains: Auth0 answers sign-in there',
      ),
    );
    assert.match(
      r.stderr,
      new RegExp(
        /hint: set AUTH0_DOMAIN \(or --auth0-domain\) to your tenant's domain.*Applications > APIs > /.source +
          /Auth0 Management API/.source,
      ),
    );
    assert.match(
      r.stderr,
      new RegExp(`iap-auth0 will still use ${custom} for sign-in.*--auth0-issuer-domain ${custom}`),
    );
    assert.deepEqual(
      (await requestLog(sb, since)).filter((x: any) => x.mutating),
      [],
    );
  }
});

test(
  'choosing the sign-in domain: several custom domains, ' + '--auth0-issuer-domain, no read:custom_domains',
  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
  async (t) => {
    const dry = async (args: string[], env: Record<string, string> = {}) => {
      const cwd = await fresh();
      dirs.push(cwd);
      const since = await lastSeq();
      const r = await runCli(['init', '--json', '--dry-run', '--service', 'pick', ...args], { ...sb.env, ...env }, cwd);
      outputs.push(r.stdout, r.stderr);
      assert.deepEqual(
        (await requestLog(sb, since)).filter((x: any) => x.mutating),
        [],
      );
      return { ...r, doc: JSON.parse(r.stdout) };
    };
    // A port nothing listens on: a custom domain that does not answer.
    const closed = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    const dead = `127.0.0.1:${closed}`;
    const deadRe = dead.replace(/\./g, '\\.');
    const second = {
      custom_domain_id: 'cd_second',
      domain: dead,
      primary: false,
      is_default: false,
      status: 'ready' as const,
      type: 'auth0_managed_certs' as const,
    };

    await t.test('two ready custom domains, none marked default: refused, naming both and the flag', async () => {
      sb.world.auth0CustomDomains.push({ ...second });
      sb.world.auth0CustomDomains[0].primary = false;
      try {
        const r = await dry([]);
        assert.equal(r.code, 2);
        assert.match(
          r.doc.error.message,
          new RegExp(`has 2 ready custom domains \\(${custom}, ${deadRe}\\) and none is marked as the default`),
        );
        assert.match(r.doc.error.hint, /--auth0-issuer-domain DOMAIN \(or IAP_AUTH0_ISSUER_DOMAIN\)/);
        const chosen = await dry(['--auth0-issuer-domain', custom]);
        assert.equal(chosen.code, 0, chosen.stderr);
        assert.deepEqual([chosen.doc.auth0.signInDomain, chosen.doc.auth0.via], [custom, 'input']);
        const viaEnv = await dry([], { IAP_AUTH0_ISSUER_DOMAIN: custom });
        assert.equal(viaEnv.doc.auth0.signInDomain, custom);
        const tenantItself = await dry(['--auth0-issuer-domain', tenant]);
        assert.deepEqual(
          [tenantItself.doc.auth0.signInDomain, tenantItself.doc.auth0.via, tenantItself.doc.auth0.issuer],
          [tenant, 'tenant', `https://${tenant}/`],
        );
        // The one marked default wins; here it does not answer (a closed port), which is said as such.
        sb.world.auth0CustomDomains[1].is_default = true;
        const silent = await dry([]);
        assert.equal(silent.code, 2);
        assert.match(
          silent.doc.error.message,
          new RegExp(`cannot reach Auth0 at https://${deadRe}/\\.well-known/openid-configuration \\(ECONNREFUSED\\)`),
        );
        assert.match(
          silent.doc.error.hint,
          new RegExp(
            `lists ${deadRe} as a ready custom domain but it does not answer.*--auth0-issuer-domain \\(or ` +
              `IAP_AUTH0_ISSUER_DOMAIN\\) ${tenant}`,
          ),
        );
      } finally {
        sb.world.auth0CustomDomains.splice(1);
        sb.world.auth0CustomDomains[0].primary = true;
      }
    });

    await t.test("--auth0-issuer-domain that is not one of the tenant's ready custom domains: refused", async () => {
      const r = await dry(['--auth0-issuer-domain', 'login.elsewhere.example']);
      assert.equal(r.code, 2);
      assert.match(
        r.doc.error.message,
        new RegExp(
          '--auth0-issuer-domain is login\\.elsewhere\\.example, which is not a ready custom domain of the ' +
            `Auth0 tenant ${tenant} \\(ready: ${custom}\\)`,
        ),
      );
      const pending = { ...second, status: 'pending_verification' as const };
      sb.world.auth0CustomDomains.push(pending);
      try {
        const p = await dry(['--auth0-issuer-domain', dead]);
        assert.equal(p.code, 2, 'a domain still pending verification is not ready');
        assert.equal((await dry([])).doc.auth0.signInDomain, custom, 'pending domains are not candidates');
      } finally {
        sb.world.auth0CustomDomains.splice(1);
      }
    });

    await t.test(
      'without read:custom_domains: sign-in on AUTH0_DOMAIN with a warning; --auth0-issuer-domain picks the ' +
        'custom domain, recorded',
      async () => {
        sb.world.auth0M2M.scopes.delete('read:custom_domains');
        try {
          const r = await dry([]);
          assert.equal(r.code, 0, r.stderr);
          assert.deepEqual([r.doc.auth0.signInDomain, r.doc.auth0.via], [tenant, 'tenant']);
          assert.equal(r.doc.warnings.length, 1);
          assert.match(
            r.doc.warnings[0],
            new RegExp(
              /cannot see whether your Auth0 tenant has a custom domain \(the M2M app lacks /.source +
                /read:custom_domains\).*add read:custom_domains .* or pass --auth0-issuer-domain/.source,
            ),
          );
          const plain = await runCli(['init', '--yes', '--dry-run', '--service', 'pick'], sb.env, await fresh());
          assert.match(
            plain.stderr,
            /^! iap-auth0 cannot see whether your Auth0 tenant has a custom domain/m,
            'the warning is printed',
          );

          const cwd = await fresh();
          dirs.push(cwd);
          const full = await runCli(
            ['init', '--yes', '--service', 'flag', '--auth0-issuer-domain', custom],
            sb.env,
            cwd,
          );
          outputs.push(full.stdout, full.stderr);
          assert.equal(full.code, 0, full.stderr);
          assert.ok(!/cannot see whether/.test(full.stderr), 'no warning once the domain is named');
          const state = JSON.parse(await readFile(path.join(cwd, '.iap-auth0', 'state.json'), 'utf8'));
          assert.equal(state.inputs.auth0IssuerDomain, custom, 'the choice is recorded');
          assert.equal(
            sb.world.providers.get(`${state.inputs.pool}/${state.inputs.provider}`)!.oidc.issuerUri,
            `https://${custom}/`,
          );
          // verify follows the recorded choice, without the scope too.
          const v = await runCli(['verify', '--wait', '30s'], sb.env, cwd);
          outputs.push(v.stdout, v.stderr);
          assert.equal(v.code, 0, v.stderr);
          assert.match(
            v.stderr,
            new RegExp(`Auth0 discovery\\s+issuer https://${custom}/ \\(sign-in on --auth0-issuer-domain ${custom}`),
          );
          const d = await runCli(['destroy', '--force'], sb.env, cwd);
          assert.equal(d.code, 0, d.stderr);
        } finally {
          sb.world.auth0M2M.scopes.add('read:custom_domains');
        }
      },
    );
  },
);

test('nothing the tool printed or wrote holds a secret', async () => {
  await assertNoSecretLeaked(sb, outputs, dirs);
});
