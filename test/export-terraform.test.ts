// `iap-auth0 export terraform` as a user runs it, after `init` on the sandbox: with the default
// access, with --allow email:/role:, with --scope project (the issue's three), and with --allow
// user:/group:. No Terraform can run here, so the folder is held to evidence
// (test/helpers/terraform.ts, test/fixtures/terraform/schema.json): it parses and is formatted, uses
// only documented resource types and attributes, imports every resource the state records under a
// documented id format that names the sandbox's actual resource (read back through Google's
// clients and the Auth0 SDK), and holds no secret the sandbox ever issued. Bad input exits 2 and
// writes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManagementClient } from 'auth0';
import { useSandbox, clientsFor, requestLog } from './helpers/sandbox.js';
import { runCli } from './helpers/cli.js';
import { assertNoSecretLeaked } from './helpers/secrets.js';
import { checkAgainstFixture, evaluate, importFields, parseFolder, type ParsedFolder } from './helpers/terraform.js';
import type { Sandbox } from '../src/sandbox/index.js';

// The APIs init enables (gcp-api.md 2.1; serviceusage is on in every project).
/** How hcl2json writes an expression: `${…}`. */
const interpolated = (e: string) => `\${${e}}`;

const APIS = ['iam.googleapis.com', 'run.googleapis.com', 'iap.googleapis.com', 'cloudresourcemanager.googleapis.com'];

/** Each import id's fields name a live resource: read back with the real clients. */
async function assertImportsAreLive(sb: Sandbox, p: ParsedFolder): Promise<void> {
  const g = clientsFor(sb);
  const mgmt = new ManagementClient({
    domain: sb.env.AUTH0_DOMAIN,
    clientId: sb.env.AUTH0_CLIENT_ID,
    clientSecret: sb.env.AUTH0_CLIENT_SECRET,
  });
  const holds = (policy: any, role: string, member: string) =>
    (policy.bindings ?? []).some((b: any) => b.role === role && b.members.includes(member));
  for (const i of p.imports) {
    const type = i.to.split('.')[0];
    const f = importFields(type, i.id);
    const live: Record<string, () => Promise<boolean>> = {
      google_project_service: async () =>
        (await g.serviceusage.services.get({ name: `projects/${f.project_id}/services/${f.service}` })).data.state ===
        'ENABLED',
      google_service_account: async () =>
        (await g.iam.projects.serviceAccounts.get({ name: `projects/${f.project}/serviceAccounts/${f.email}` })).data
          .email === f.email,
      google_cloud_run_v2_service: async () =>
        !!(await g.run.projects.locations.services.get({ name: i.id })).data.iapEnabled,
      google_cloud_run_v2_service_iam_member: async () =>
        holds(
          (await g.run.projects.locations.services.getIamPolicy({ resource: i.id.split(' ')[0] })).data,
          f.role,
          f.member,
        ),
      google_iam_workforce_pool: async () =>
        (await g.iam.locations.workforcePools.get({ name: i.id })).data.state === 'ACTIVE',
      google_iam_workforce_pool_provider: async () =>
        (await g.iam.locations.workforcePools.providers.get({ name: i.id })).data.state === 'ACTIVE',
      google_iam_oauth_client: async () =>
        (await g.iam.projects.locations.oauthClients.get({ name: i.id })).data.state === 'ACTIVE',
      google_iam_oauth_client_credential: async () =>
        (await g.iam.projects.locations.oauthClients.credentials.get({ name: i.id })).data.disabled !== true,
      google_iap_settings: async () =>
        !!(await g.iap.getIapSettings({ name: i.id })).data.accessSettings?.workforceIdentitySettings,
      google_iap_web_cloud_run_service_iam_member: async () =>
        holds((await g.iap.getIamPolicy({ resource: i.id.split(' ')[0] })).data, f.role, f.member),
      google_iap_web_iam_member: async () =>
        holds((await g.iap.getIamPolicy({ resource: i.id.split(' ')[0] })).data, f.role, f.member),
      auth0_client: async () => ((await mgmt.clients.get(f.client_id)) as any).client_id === f.client_id,
      auth0_client_credentials: async () => ((await mgmt.clients.get(f.client_id)) as any).client_id === f.client_id,
      auth0_action: async () => (await mgmt.actions.get(f.action_id)).id === f.action_id,
      auth0_trigger_action: async () =>
        (await mgmt.actions.triggers.bindings.list(f.trigger as 'post-login')).data.some(
          (b) => b.action?.id === f.action_id,
        ),
    };
    assert.ok(live[type], `${type}: the test does not know how to read it`);
    assert.ok(await live[type](), `import ${i.to} (${i.id}) names no live resource`);
  }
}

/**
 * The IAP settings' `name`, evaluated with the folder's variables and the project's number, is the name the import
 * id gives (and the state records): `name` forces a replacement, so the first plan would otherwise destroy them.
 */
function assertSettingsNamed(state: any, p: ParsedFolder): void {
  const id = p.imports.find((i) => i.to === 'google_iap_settings.iap')?.id ?? '';
  const configured = evaluate(p, p.resources.google_iap_settings.iap[0].name, {
    'data.google_project.this.number': state.inputs.projectNumber,
  });
  assert.equal(configured, importFields('google_iap_settings', id).name, 'the IAP settings configured are imported');
  assert.equal(configured, state.stages['iap-settings'].resources.iapResource);
}

/** An import the folder must hold: its resource type and id. */
type Expected = { type: string; id: string };

/** Keys the state records under stages[*].resources that are not resources of their own, and why. */
const NOT_RESOURCES: Record<string, string> = {
  'deploy.uri': "the service's URL, which Cloud Run computes (an attribute of google_cloud_run_v2_service.app)",
  'deploy.iapAgent':
    'the IAP service agent: google_project_service_identity is google-beta only and cannot be imported (README)',
  'auth0-app.signInIssuer': 'the issuer URL users sign in with (the tenant or its custom domain), for verify',
  'workforce-pool.providerSecretFor': "which Auth0 app's secret the provider was given: init's bookkeeping",
  'workforce-pool.providerCondition': "the provider's attribute condition: var.attribute_condition, not a resource",
  'oauth-client.clientId': 'the client id Google generated: an attribute of google_iam_oauth_client.iap',
  'access.iapResource': "the IAP resource the members are on: part of each access member's import id",
};

/** Prefixes of `added` entries that are fields set on a resource imported under another key, and why. */
const ADDED_FIELDS: Record<string, string> = {
  'iap-settings:iapSettings.': 'the IAP settings fields init set: attributes of google_iap_settings.iap',
  'workforce-pool:attributeMapping.': "mappings added to an adopted provider: in the provider's attribute_mapping",
  'oauth-client:allowedRedirectUris:': 'a redirect URI added to an adopted client: in its allowed_redirect_uris',
};

/** The imports the keys of stages[*].resources call for; a key the test does not know fails it. */
function expectedFromResources(state: any): Expected[] {
  const project = state.inputs.project;
  const adopted = (stage: string, key: string) => !!state.stages[stage].adopted?.includes(key);
  const map: Record<string, (v: string) => Expected[]> = {
    'deploy.service': (id) => [{ type: 'google_cloud_run_v2_service', id }],
    // An adopted service's account is not this setup's: not written, not imported.
    'deploy.serviceAccount': (email) =>
      adopted('deploy', 'serviceAccount')
        ? []
        : [{ type: 'google_service_account', id: `projects/${project}/serviceAccounts/${email}` }],
    'auth0-app.clientId': (id) => [
      { type: 'auth0_client', id },
      { type: 'auth0_client_credentials', id },
    ],
    'workforce-pool.pool': (id) => [{ type: 'google_iam_workforce_pool', id }],
    'workforce-pool.provider': (id) => [{ type: 'google_iam_workforce_pool_provider', id }],
    'oauth-client.oauthClient': (id) => [{ type: 'google_iam_oauth_client', id }],
    'oauth-client.credential': (id) => [{ type: 'google_iam_oauth_client_credential', id }],
    'iap-settings.iapResource': (id) => [{ type: 'google_iap_settings', id }],
    'auth0-action.actionId': (id) => [
      { type: 'auth0_action', id },
      { type: 'auth0_trigger_action', id: `post-login::${id}` },
    ],
  };
  return Object.entries<any>(state.stages).flatMap(([stage, st]) =>
    Object.entries<string>(st.resources ?? {}).flatMap(([key, value]) => {
      const k = `${stage}.${key}`;
      if (k in NOT_RESOURCES) return [];
      assert.ok(map[k], `${k}: the state records a resource the test does not know how to map to an import`);
      return map[k](value);
    }),
  );
}

/** The imports the `added` lists call for: the invoker and access grants (which must be there), fields none. */
function expectedFromAdded(state: any): Expected[] {
  const r = (stage: string) => state.stages[stage].resources;
  const grants: Record<string, (m: string) => Expected> = {
    deploy: (m) => ({
      type: 'google_cloud_run_v2_service_iam_member',
      id: `${r('deploy').service} roles/run.invoker ${m}`,
    }),
    access: (m) => ({
      type:
        state.inputs.scope === 'project' ? 'google_iap_web_iam_member' : 'google_iap_web_cloud_run_service_iam_member',
      id: `${r('access').iapResource} roles/iap.httpsResourceAccessor ${m}`,
    }),
  };
  // Every scenario has the IAP agent's invoker grant and at least one access member.
  for (const stage of Object.keys(grants))
    assert.ok(state.stages[stage].added?.length, `${stage}.added is empty: the scenario must record its grants`);
  return Object.entries<any>(state.stages).flatMap(([stage, st]) =>
    (st.added ?? []).flatMap((entry: string): Expected[] => {
      if (grants[stage]) return [grants[stage](entry)];
      const field = Object.keys(ADDED_FIELDS).some((f) => `${stage}:${entry}`.startsWith(f));
      assert.ok(field, `${stage}.added ${entry}: the test does not know how to map it`);
      return [];
    }),
  );
}

/**
 * The folder imports exactly what the state file records (every key of stages[*].resources and every entry of
 * the `added` lists, mapped to its import or listed above as no resource) and the APIs init enables: no more.
 */
function assertStateCovered(state: any, p: ParsedFolder): void {
  const expected = [
    ...expectedFromResources(state),
    ...expectedFromAdded(state),
    ...APIS.map((api) => ({ type: 'google_project_service', id: `${state.inputs.project}/${api}` })),
  ];
  const line = (e: Expected) => `${e.type} ${e.id}`;
  const actual = p.imports.map((i) => line({ type: i.to.split('.')[0], id: i.id }));
  assert.equal(p.imports.length, expected.length, 'one import block for each resource the state records');
  assert.deepEqual(actual.sort(), expected.map(line).sort(), 'the import blocks are those the state calls for');
}

/**
 * With --allow naming people, the provider's attribute condition is var.attribute_condition (the one the state
 * records), and both its description and the README say it changes together with var.allowed_members.
 */
function assertConditionVariable(p: ParsedFolder, state: any): void {
  const recorded = state.stages['workforce-pool'].resources.providerCondition;
  assert.ok(recorded, 'init recorded the condition it derived');
  const provider = p.resources.google_iam_workforce_pool_provider.auth0[0];
  assert.equal(provider.attribute_condition, interpolated('var.attribute_condition'), 'a variable, not a literal');
  const variable = p.variables.attribute_condition[0];
  assert.equal(variable.default, recorded);
  assert.match(variable.description, /Change it together with allowed_members/);
  assert.match(p.files['README.md'], /## Who may sign in[\s\S]*Change the two together/);
  assert.match(
    p.files['README.md'],
    /## Hand back[\s\S]*changed `attribute_condition`, pass the new one with `--require`/,
  );
}

/** A check of the folder `base` changed by `f`, to show it failing. */
function mutation(base: ParsedFolder, f: (p: ParsedFolder) => void): () => void {
  const p: ParsedFolder = structuredClone(base);
  f(p);
  return () => checkAgainstFixture(p);
}

/** init with `args`, then export; the folder checked against the fixture, the state and the sandbox. */
async function initAndExport(sb: Sandbox, cwd: string, name: string, args: string[]) {
  const statePath = path.join(cwd, name, 'state.json');
  const init = await runCli(['init', '--yes', '--state', statePath, ...args], sb.env, cwd);
  assert.equal(init.code, 0, init.stderr);
  const dir = path.join(cwd, `${name}-tf`);
  const r = await runCli(['export', 'terraform', '--state', statePath, '--dir', dir, '--json'], sb.env, cwd);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.files.map((f: any) => f.path).sort(), (await readdir(dir)).sort(), '--json lists the files');
  const state = JSON.parse(await readFile(statePath, 'utf8'));
  const p = await parseFolder(dir);
  checkAgainstFixture(p);
  assertStateCovered(state, p);
  assertSettingsNamed(state, p);
  await assertImportsAreLive(sb, p);
  await assertNoSecretLeaked(sb, [init.stdout, init.stderr, r.stdout, r.stderr], [dir]);
  return { state, p, dir, statePath };
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('export terraform', async (t) => {
  const sb = await useSandbox();
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-export-'));
  const lastSeq = async () => (await requestLog(sb)).at(-1)?.seq ?? 0;
  let first!: Awaited<ReturnType<typeof initAndExport>>;
  let roles!: Awaited<ReturnType<typeof initAndExport>>;

  await t.test('default access: the folder imports every resource the state records, and no secret', async () => {
    first = await initAndExport(sb, cwd, 'hello', ['--service', 'hello', '--region', 'europe-west1']);
    const p = first.p;
    assert.equal(p.variables.image[0].default, 'us-docker.pkg.dev/cloudrun/container/hello');
    assert.deepEqual(p.variables.allowed_members[0].default, first.state.stages.access.added);
    const svc = p.resources.google_cloud_run_v2_service.app[0];
    assert.equal(svc.iap_enabled, true);
    assert.equal(svc.template[0].containers[0].image, interpolated('var.image'));
    // The secrets flow between resources, never as literals.
    const provider = p.resources.google_iam_workforce_pool_provider.auth0[0];
    assert.equal(
      provider.oidc[0].client_secret[0].value[0].plain_text,
      interpolated('auth0_client_credentials.app.client_secret'),
    );
    const settings = p.resources.google_iap_settings.iap[0];
    assert.equal(
      settings.access_settings[0].workforce_identity_settings[0].oauth2[0].client_secret,
      interpolated('google_iam_oauth_client_credential.iap.client_secret'),
    );
    assert.match(p.files['README.md'], /terraform init/);
    assert.match(p.files['README.md'], /Stop using `iap-auth0 init`/);
    assert.match(p.files['README.md'], /## Not covered/);
    // --allow pool: the setup records no condition, and none is written.
    assert.equal(provider.attribute_condition, undefined);
    assert.equal(p.variables.attribute_condition, undefined);
    assert.match(p.files['README.md'], /no attribute condition, so `allowed_members` alone decides/);
  });

  await t.test('--allow user: and group: each member imported, the mapping as the provider has it', async () => {
    const { p, state } = await initAndExport(sb, cwd, 'people', [
      '--service',
      'people',
      '--allow',
      'user:auth0|alice',
      '--allow',
      'group:admins',
    ]);
    assert.equal(state.stages.access.added.length, 2);
    assert.ok(state.stages['auth0-action'].resources.actionId, 'group: needs the Action, and its imports');
    const mapping = p.resources.google_iam_workforce_pool_provider.auth0[0].attribute_mapping;
    assert.ok(mapping['google.groups'], 'the groups mapping a group: member needs');
    assertConditionVariable(p, state);
  });

  await t.test('--allow role:admin and email:: the Action and its binding imported, its code as deployed', async () => {
    roles = await initAndExport(sb, cwd, 'roles', [
      '--service',
      'roles',
      '--allow',
      'role:admin',
      '--allow',
      'email:alice@sandbox.example',
    ]);
    const { p, state } = roles;
    const actionId = state.stages['auth0-action'].resources.actionId;
    const action = p.resources.auth0_action.groups_claim[0];
    assert.equal(action.name, `iap-auth0 groups claim (setup ${state.setupId})`);
    assert.equal(action.code, sb.world.auth0Actions.actions.get(actionId)!.code);
    assert.equal(action.deploy, true);
    assert.deepEqual(action.supported_triggers, [{ id: 'post-login', version: 'v3' }]);
    const binding = p.resources.auth0_trigger_action.groups_claim[0];
    assert.equal(binding.trigger, 'post-login');
    assert.equal(binding.action_id, interpolated('auth0_action.groups_claim.id'));
    const provider = p.resources.google_iam_workforce_pool_provider.auth0[0];
    assert.ok(provider.attribute_mapping['attribute.email'], 'the verified-email mapping');
    assertConditionVariable(p, state);
    assert.match(p.variables.attribute_condition[0].default, /attribute\.email in \["alice@sandbox\.example"\]/);
  });

  await t.test('--scope project: IAP settings on the project and access on its iap_web', async () => {
    const { p } = await initAndExport(sb, cwd, 'whole', ['--service', 'whole', '--scope', 'project']);
    assert.ok(p.resources.google_iap_web_iam_member, 'project-level access members');
    assert.equal(p.resources.google_iap_web_cloud_run_service_iam_member, undefined);
    assert.match(p.resources.google_iap_settings.iap[0].name, /^projects\/\$\{data\.google_project\.this\.number\}$/);
  });

  await t.test('the checks catch what they are for: unknown, computed or missing attributes, a bad import id', () => {
    const mutated = (f: (p: ParsedFolder) => void) => mutation(first.p, f);
    const svc = (p: ParsedFolder) => p.resources.google_cloud_run_v2_service.app[0];
    assert.throws(
      mutated((p) => Object.assign(svc(p), { made_up: 1 })),
      /made_up.* is not an attribute/,
    );
    assert.throws(
      mutated((p) => Object.assign(svc(p), { uri: 'x' })),
      /uri.* is computed only/,
    );
    assert.throws(
      mutated((p) => delete svc(p).location),
      /required `location` is missing/,
    );
    assert.throws(
      mutated((p) => Object.assign(svc(p).template[0], { containers: [{}] })),
      /required `image`/,
    );
    assert.throws(
      mutated((p) => (p.resources.made_up_type = { x: [{}] })),
      /made_up_type is not a resource type/,
    );
    assert.throws(
      mutated((p) => (p.imports.find((i) => i.to === 'google_iam_workforce_pool.pool')!.id = 'workforcePools/x/y')),
      /matches none of the provider's import patterns/,
    );
    assert.throws(
      mutated((p) => (p.imports.find((i) => i.to.startsWith('google_iap_web'))!.id = 'projects/1/iap_web/x y')),
      /matches no documented format/,
    );
    assert.throws(() => importFields('google_cloud_run_v2_service', 'hello'), /matches none/);
  });

  await t.test(
    'the checks catch undeclared variables, bad ignore_changes, IAP settings names, a literal condition',
    () => {
      const mutated = (f: (p: ParsedFolder) => void) => mutation(first.p, f);
      // Variables used must be declared; ignore_changes paths must name attributes of the schema.
      assert.throws(
        mutated((p) => (p.files['iap.tf'] = p.files['iap.tf'].replace('var.region', 'var.regoin'))),
        /var\.regoin: no variable "regoin" is declared/,
      );
      assert.throws(
        mutated((p) => delete p.variables.image),
        /var\.image: no variable "image" is declared/,
      );
      const ignore = (path: string) =>
        mutated((p) => {
          p.resources.google_iam_workforce_pool_provider.auth0[0].lifecycle[0].ignore_changes = [interpolated(path)];
        });
      assert.throws(ignore('oidc[0].client_secret[0].value[0].plaintext'), /plaintext is not an attribute/);
      assert.throws(ignore('oidc[0].issuer_uri.x'), /issuer_uri is not a nested block/);
      assert.throws(ignore('oidc[1].client_secret'), /oidc\[1\] past max_items/);
      assert.throws(ignore('client_secret'), /client_secret is not an attribute/);
      // The IAP settings' name: a documented form, in the import id and in the resource, and the same one in both.
      assert.throws(
        () => importFields('google_iap_settings', 'projects/415104041262/iap_web/cloud-run-us-central1/services/x'),
        /its name .* matches no documented name form/,
      );
      assert.throws(() => importFields('google_iap_settings', 'hello'), /matches no documented name form/);
      assert.deepEqual(importFields('google_iap_settings', 'projects/1/iap_web/compute/services/s/iapSettings'), {
        name: 'projects/1/iap_web/compute/services/s',
      });
      const settings = (p: ParsedFolder) => p.resources.google_iap_settings.iap[0];
      assert.throws(
        mutated((p) => (settings(p).name = `projects/\${data.google_project.this.number}/cloud_run-\${var.region}`)),
        /google_iap_settings\.iap\.name .* matches no documented name form/,
      );
      assert.throws(
        mutated((p) => (settings(p).name = interpolated('var.region'))),
        /matches no documented name form/,
      );
      assert.throws(() => {
        const p: ParsedFolder = structuredClone(first.p);
        settings(p).name = settings(p).name.replace(interpolated('var.region'), 'us-east1');
        assertSettingsNamed(first.state, p);
      }, /the IAP settings configured are imported/);
      const condition = (f: (p: ParsedFolder) => void) => () => {
        const p: ParsedFolder = structuredClone(roles.p);
        f(p);
        assertConditionVariable(p, roles.state);
      };
      const provider = (p: ParsedFolder) => p.resources.google_iam_workforce_pool_provider.auth0[0];
      assert.throws(
        condition(
          (p) => (provider(p).attribute_condition = roles.state.stages['workforce-pool'].resources.providerCondition),
        ),
        /a variable, not a literal/,
      );
      assert.throws(
        condition((p) => (p.variables.attribute_condition[0].description = 'The condition.')),
        /together with allowed_members/,
      );
    },
  );

  await t.test('the coverage check catches an unmapped state key, missing grants, a missing or extra import', () => {
    const covered = (f: (state: any, p: ParsedFolder) => void) => () => {
      const state = structuredClone(roles.state);
      const p: ParsedFolder = structuredClone(roles.p);
      f(state, p);
      assertStateCovered(state, p);
    };
    assert.doesNotThrow(covered(() => {}));
    assert.throws(
      covered((s) => (s.stages.deploy.resources.newThing = 'x')),
      /deploy\.newThing: the state records a resource the test does not know/,
    );
    assert.throws(
      covered((s) => (s.stages['oauth-client'].added = ['secret:x'])),
      /oauth-client\.added secret:x: the test does not know how to map it/,
    );
    assert.throws(
      covered((s) => (s.stages.access.added = [])),
      /access\.added is empty/,
    );
    assert.throws(
      covered((s) => delete s.stages.deploy.added),
      /deploy\.added is empty/,
    );
    assert.throws(
      covered((_, p) => p.imports.pop()),
      /one import block for each resource/,
    );
    assert.throws(
      covered((_, p) => p.imports.push({ to: 'auth0_client.other', id: 'x' })),
      /one import block for each resource/,
    );
    assert.throws(
      covered((_, p) => (p.imports.find((i) => i.to === 'auth0_action.groups_claim')!.id = 'other')),
      /the import blocks are those the state calls for/,
    );
  });

  await t.test('an existing folder needs --force; --dry-run prints and writes nothing', async () => {
    const before = await readFile(path.join(first.dir, 'cloud-run.tf'), 'utf8');
    await writeFile(path.join(first.dir, 'cloud-run.tf'), '# edited\n');
    const args = ['export', 'terraform', '--state', first.statePath, '--dir', first.dir];
    const refused = await runCli(args, sb.env, cwd);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /--dir: the folder .* exists and is not empty; nothing was written[\s\S]*--force/);
    assert.equal(await readFile(path.join(first.dir, 'cloud-run.tf'), 'utf8'), '# edited\n');
    const forced = await runCli([...args, '--force'], sb.env, cwd);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(await readFile(path.join(first.dir, 'cloud-run.tf'), 'utf8'), before);
    const empty = path.join(cwd, 'dry');
    const dry = await runCli(
      ['export', 'terraform', '--state', first.statePath, '--dir', empty, '--dry-run'],
      sb.env,
      cwd,
    );
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /# ---- .*\/cloud-run\.tf ----\nresource "google_project_service" "apis"/);
    assert.match(dry.stdout, /nothing was written/);
    assert.equal(await readdir(empty).catch(() => 'absent'), 'absent');
    await assertNoSecretLeaked(sb, [dry.stdout, dry.stderr, forced.stdout], [first.dir]);
  });

  await t.test('bad input: exit 2, a message naming the fix, nothing written', async () => {
    const out = path.join(cwd, 'never');
    const since = await lastSeq();
    const noState = await runCli(
      ['export', 'terraform', '--state', path.join(cwd, 'none.json'), '--dir', out],
      sb.env,
      cwd,
    );
    assert.equal(noState.code, 2);
    assert.match(noState.stderr, /no state file at .*none\.json[\s\S]*iap-auth0 init first/);
    const unfinished = JSON.parse(await readFile(first.statePath, 'utf8'));
    unfinished.stages.access.status = 'failed';
    await mkdir(path.join(cwd, 'unfinished'));
    const unfinishedPath = path.join(cwd, 'unfinished', 'state.json');
    await writeFile(unfinishedPath, JSON.stringify(unfinished));
    const r = await runCli(['export', 'terraform', '--state', unfinishedPath, '--dir', out], sb.env, cwd);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not finished \(access: failed\); nothing was written[\s\S]*iap-auth0 init/);
    const file = path.join(cwd, 'a-file');
    await writeFile(file, 'x');
    const notDir = await runCli(['export', 'terraform', '--state', first.statePath, '--dir', file], sb.env, cwd);
    assert.equal(notDir.code, 2);
    assert.match(notDir.stderr, /--dir: .* is not a folder/);
    const noCreds = await runCli(
      ['export', 'terraform', '--state', first.statePath, '--dir', out],
      { ...sb.env, AUTH0_CLIENT_SECRET: '' },
      cwd,
    );
    assert.equal(noCreds.code, 2);
    assert.match(noCreds.stderr, /AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET must be set/);
    assert.deepEqual(await requestLog(sb, since), [], 'judged before any request');
    assert.equal(await readdir(out).catch(() => 'absent'), 'absent');
  });

  await t.test('a grant removed behind its back: exit 2 naming it, nothing written; init repairs', async () => {
    const g = clientsFor(sb);
    const resource = first.state.stages.access.resources.iapResource;
    const { data: policy } = await g.iap.getIamPolicy({ resource });
    const member = first.state.stages.access.added[0];
    policy.bindings = (policy.bindings ?? []).map((b) => ({
      ...b,
      members: (b.members ?? []).filter((m) => m !== member),
    }));
    await g.iap.setIamPolicy({ resource, requestBody: { policy } });
    const out = path.join(cwd, 'drifted');
    const r = await runCli(['export', 'terraform', '--state', first.statePath, '--dir', out], sb.env, cwd);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(`${member} no longer holds roles/iap.httpsResourceAccessor`), r.stderr);
    assert.match(r.stderr, /run iap-auth0 init/);
    assert.equal(await readdir(out).catch(() => 'absent'), 'absent');
    const init = await runCli(['init', '--yes', '--state', first.statePath], sb.env, cwd);
    assert.equal(init.code, 0, init.stderr);
    const again = await runCli(['export', 'terraform', '--state', first.statePath, '--dir', out], sb.env, cwd);
    assert.equal(again.code, 0, again.stderr);
  });

  await t.test(
    'the Action unbound behind its back: exit 2 naming it, nothing written; init binds it again',
    async () => {
      const mgmt = new ManagementClient({
        domain: sb.env.AUTH0_DOMAIN,
        clientId: sb.env.AUTH0_CLIENT_ID,
        clientSecret: sb.env.AUTH0_CLIENT_SECRET,
      });
      const actionId = roles.state.stages['auth0-action'].resources.actionId;
      const bindings = async () => (await mgmt.actions.triggers.bindings.list('post-login')).data;
      const others = (await bindings()).filter((b) => b.action?.id !== actionId);
      assert.ok(
        (await bindings()).some((b) => b.action?.id === actionId),
        'bound after init',
      );
      await mgmt.actions.triggers.bindings.updateMany('post-login', {
        bindings: others.map((b) => ({ ref: { type: 'binding_id' as const, value: b.id! } })),
      });
      const out = path.join(cwd, 'unbound');
      const r = await runCli(['export', 'terraform', '--state', roles.statePath, '--dir', out], sb.env, cwd);
      assert.equal(r.code, 2, r.stderr);
      assert.ok(r.stderr.includes(`the post-login Action ${actionId} is no longer bound`), r.stderr);
      assert.match(r.stderr, /run iap-auth0 init/);
      assert.equal(await readdir(out).catch(() => 'absent'), 'absent');
      const init = await runCli(['init', '--yes', '--state', roles.statePath], sb.env, cwd);
      assert.equal(init.code, 0, init.stderr);
      assert.ok(
        (await bindings()).some((b) => b.action?.id === actionId),
        'init bound it again',
      );
      const again = await runCli(['export', 'terraform', '--state', roles.statePath, '--dir', out], sb.env, cwd);
      assert.equal(again.code, 0, again.stderr);
    },
  );
});
