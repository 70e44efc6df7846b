// The plan is the list apply runs (issue 13): for each scenario, `init --dry-run --json` prints
// the plan, then `init` runs, and the writes the sandbox saw (its request log) must be exactly the
// plan's changes: each change kind maps to the write(s) it makes, and a plan of only `none` makes
// none. Scenarios: a fresh project; a resume after a sample of kill points (every one with
// IAP_AUTH0_RELIABILITY=full); each drift verify knows (the table in test/helpers/drifts.ts, which
// verify.test.ts uses too), made behind iap-auth0's back with Google's clients and the Auth0 SDK;
// a service someone else made (refused without --adopt, adopted with it); someone else's IAP
// settings (refused).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { clientsFor, requestLog, waitOperation, enableRunApis } from './helpers/sandbox.js';
import { runCli, startCli } from './helpers/cli.js';
import { DRIFTS, driftTools } from './helpers/drifts.js';

const FULL = process.env.IAP_AUTH0_RELIABILITY === 'full';
const SERVICE = ['--service', 'hello', '--region', 'europe-west1'];

interface Change {
  stage: string;
  action: string;
  resource: string;
  reason: string;
  fields?: string[];
  members?: string[];
  conditional?: boolean;
}
interface Req {
  api: string;
  method: string;
  path: string;
  status: number;
  mutating: boolean;
  seq: number;
}

/** What a change is about, as the request log names it: `service`, `app`, `pool`, `credential`… */
function subjectOf(c: Change): string {
  switch (c.stage) {
    case 'deploy':
      return c.resource.startsWith('service account')
        ? 'account'
        : c.resource.startsWith('IAP service agent')
          ? 'agent'
          : c.resource.startsWith('roles/run.invoker')
            ? 'invoker'
            : c.resource.startsWith('the enabled APIs')
              ? 'apis'
              : 'service';
    case 'auth0-app':
      return 'app';
    case 'workforce-pool':
      return c.resource.includes('/providers/') ? 'provider' : 'pool';
    case 'oauth-client':
      return c.resource.includes('/credentials/') ? 'credential' : 'client';
    case 'iap-settings':
      return 'settings';
    case 'auth0-action':
      return c.resource.endsWith(': deployed version')
        ? 'deploy'
        : c.resource.endsWith('trigger bindings')
          ? 'binding'
          : 'action';
    default:
      return 'access';
  }
}

/** The write a change makes (none for none and refuse, and for an adoption that changes no field). */
function writeOf(c: Change): string | undefined {
  const s = subjectOf(c);
  switch (c.action) {
    case 'create':
    case 'update':
    case 'undelete':
    case 'delete':
      return `${s} ${c.action}`;
    case 'adopt':
      return c.fields?.length ? `${s} update` : undefined;
    case 'grant':
    case 'revoke':
      return `${s} setIamPolicy`;
    default:
      return undefined;
  }
}

/** The write a logged request is. */
function writeIn(r: Req): string {
  const p = r.path.replace(/\?.*$/, '');
  const verb = p.endsWith(':undelete')
    ? 'undelete'
    : p.endsWith(':setIamPolicy')
      ? 'setIamPolicy'
      : r.method === 'POST'
        ? 'create'
        : r.method === 'PATCH'
          ? 'update'
          : r.method === 'DELETE'
            ? 'delete'
            : r.method;
  if (r.api === 'serviceusage')
    return p.endsWith(':batchEnable')
      ? 'apis update'
      : p.endsWith(':generateServiceIdentity')
        ? 'agent create'
        : `serviceusage ${r.method} ${p}`;
  if (r.api === 'auth0')
    return p.startsWith('/api/v2/clients')
      ? `app ${verb}`
      : /^\/api\/v2\/actions\/actions\/[^/]+\/deploy$/.test(p)
        ? 'deploy create'
        : p.startsWith('/api/v2/actions/actions')
          ? `action ${verb}`
          : p.startsWith('/api/v2/actions/triggers/')
            ? `binding ${verb}`
            : `auth0 ${r.method} ${p}`;
  if (r.api === 'run') return verb === 'setIamPolicy' ? 'invoker setIamPolicy' : `service ${verb}`;
  if (r.api === 'iap')
    return p.endsWith(':iapSettings')
      ? 'settings update'
      : verb === 'setIamPolicy'
        ? 'access setIamPolicy'
        : `iap ${r.method} ${p}`;
  if (r.api === 'iam') {
    const what = p.includes('/credentials')
      ? 'credential'
      : p.includes('/oauthClients')
        ? 'client'
        : p.includes('/providers')
          ? 'provider'
          : p.includes('/workforcePools')
            ? 'pool'
            : p.includes('/serviceAccounts')
              ? 'account'
              : `iam ${p}`;
    return `${what} ${verb}`;
  }
  return `${r.api} ${r.method} ${p}`;
}

const counted = (xs: string[]) => {
  const m: Record<string, number> = {};
  for (const x of xs) m[x] = (m[x] ?? 0) + 1;
  return m;
};

async function lastSeq(sb: Sandbox): Promise<number> {
  return (await requestLog(sb)).at(-1)?.seq ?? 0;
}

/** The plan, from a dry run (which itself must write nothing). */
async function planOf(
  sb: Sandbox,
  cwd: string,
  args: string[],
): Promise<{ code: number | null; plan: Change[]; stderr: string }> {
  const since = await lastSeq(sb);
  const r = await runCli(['init', '--dry-run', '--json', ...args], sb.env, cwd);
  assert.deepEqual(
    (await requestLog(sb, since)).filter((x: Req) => x.mutating).map(writeIn),
    [],
    'a dry run writes nothing',
  );
  if (r.code !== 0) return { code: r.code, plan: [], stderr: r.stderr };
  return { code: 0, plan: JSON.parse(r.stdout).plan, stderr: r.stderr };
}

/**
 * Plans, applies, and checks that the writes are the plan's. A conditional change (the Auth0 login
 * URI, set only for a public https URL) may make its write or not: in the sandbox, whose URLs are
 * loopback ones Auth0 refuses, it never does, and that is checked too.
 */
async function planThenApply(sb: Sandbox, cwd: string, args: string[], label: string): Promise<Change[]> {
  const { plan, code, stderr } = await planOf(sb, cwd, args);
  assert.equal(code, 0, `${label}: the dry run: ${stderr}`);
  const since = await lastSeq(sb);
  const r = await runCli(['init', '--yes', ...args], sb.env, cwd);
  assert.equal(r.code, 0, `${label}: ${r.stderr}`);
  const writes = (await requestLog(sb, since))
    .filter((x: Req) => x.mutating && x.status < 400)
    .map(writeIn)
    .sort();
  const expected = plan
    .filter((c) => !c.conditional)
    .map(writeOf)
    .filter((x): x is string => !!x)
    .sort();
  assert.deepEqual(
    counted(writes),
    counted(expected),
    `${label}: the writes are the ` +
      `plan's\nplan:\n${plan.map((c) => `  ${c.action} ${c.resource}${c.fields ? ` [${c.fields}]` : ''}`).join('\n')}`,
  );
  if (plan.every((c) => c.action === 'none'))
    assert.deepEqual(writes, [], `${label}: a plan of only none writes nothing`);
  return plan;
}

const fresh = () => mkdtemp(path.join(os.tmpdir(), 'iap-auth0-plan-'));

test("fresh project, then a re-run: the writes are the plan's; a plan of only none writes nothing", async () => {
  const sb = await startSandbox({ caDir: process.env.IAP_AUTH0_TEST_CA_DIR });
  try {
    const cwd = await fresh();
    const first = await planThenApply(sb, cwd, SERVICE, 'fresh project');
    assert.ok(first.some((c) => c.action === 'create'));
    const again = await planThenApply(sb, cwd, SERVICE, 're-run');
    assert.deepEqual(
      again.filter((c) => c.action !== 'none'),
      [],
      'a finished setup plans nothing',
    );
  } finally {
    await sb.stop();
  }
});

test('resume after a kill: the resumed run writes exactly what it plans', async (t) => {
  // The kill points of a clean run: the k-th successful write.
  const clean = await startSandbox({ caDir: process.env.IAP_AUTH0_TEST_CA_DIR });
  let total: number;
  try {
    const r = await runCli(['init', '--yes', ...SERVICE], clean.env, await fresh());
    assert.equal(r.code, 0, r.stderr);
    total = (await requestLog(clean)).filter((x: Req) => x.mutating && x.status < 400).length;
  } finally {
    await clean.stop();
  }
  const points = FULL
    ? Array.from({ length: total - 1 }, (_, i) => i + 1)
    : [...new Set([1, Math.ceil(total / 3), Math.ceil(total / 2), Math.ceil((2 * total) / 3), total - 1])];
  for (const k of points) {
    await t.test(`killed after write ${k} of ${total}`, async () => {
      const sb = await startSandbox({ caDir: process.env.IAP_AUTH0_TEST_CA_DIR });
      try {
        const cwd = await fresh();
        const { child, done } = startCli(['init', '--yes', ...SERVICE], sb.env, cwd);
        sb.world.killAfter = { count: k, pid: child.pid!, seen: 0 };
        const killed = await done;
        assert.equal(
          killed.signal,
          'SIGKILL',
          `the run was killed (exit ${killed.code}: ${killed.stderr.slice(-300)})`,
        );
        await planThenApply(sb, cwd, SERVICE, `resume after write ${k}`);
        await planThenApply(sb, cwd, SERVICE, `re-run after the resume from write ${k}`);
      } finally {
        await sb.stop();
      }
    });
  }
});

test('each drift verify knows: init plans the repair and writes exactly it', async (t) => {
  const sb = await startSandbox({ caDir: process.env.IAP_AUTH0_TEST_CA_DIR });
  try {
    const cwd = await fresh();
    await planThenApply(sb, cwd, SERVICE, 'setup');
    const tools = await driftTools(sb, cwd);
    for (const d of DRIFTS) {
      await t.test(`drift: ${d.name}`, async () => {
        await d.cause(tools);
        const plan = await planThenApply(sb, cwd, [], d.name);
        // The repair is what the plan says and nothing else: the writes a person would expect.
        assert.deepEqual(plan.map(writeOf).filter(Boolean).sort(), [...d.repair].sort());
        const again = await planThenApply(sb, cwd, [], `${d.name}, repaired`);
        assert.deepEqual(
          again.filter((c) => c.action !== 'none'),
          [],
        );
      });
    }
  } finally {
    await sb.stop();
  }
});

test(
  'a service someone else made: the plan shows the refusal without --adopt, the adoption with it; foreign IAP ' +
    'settings are refused',
  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
  async (t) => {
    const sb = await startSandbox({ caDir: process.env.IAP_AUTH0_TEST_CA_DIR });
    try {
      const g = clientsFor(sb);
      const services = g.run.projects.locations.services;
      await enableRunApis(sb);
      const op = (
        await services.create({
          parent: 'projects/sandbox-project/locations/europe-west1',
          serviceId: 'theirs',
          requestBody: {
            ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
            template: { containers: [{ image: 'europe-west1-docker.pkg.dev/sandbox-project/apps/theirs:1' }] },
          },
        })
      ).data;
      await waitOperation(() => g.run.projects.locations.operations.get({ name: op.name! }));
      const name = 'projects/sandbox-project/locations/europe-west1/services/theirs';
      const p0 = (await services.getIamPolicy({ resource: name })).data;
      await services.setIamPolicy({
        resource: name,
        requestBody: { policy: { ...p0, bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] } },
      });
      const args = ['--service', 'theirs', '--region', 'europe-west1'];
      const cwd = await fresh();

      await t.test(
        'without --adopt: the dry run shows the refusal, and init stops having written nothing',
        async () => {
          const dry = await runCli(['init', '--dry-run', ...args], sb.env, cwd);
          assert.equal(dry.code, 2, dry.stderr);
          assert.match(
            dry.stderr,
            new RegExp(
              /nothing was changed: a resource this setup would use is not its own\n\s+- the Cloud Run /.source +
                /service projects\/sandbox-project\/locations\/europe-west1\/services\/theirs exists but /.source +
                /was not created by iap-auth0/.source,
            ),
          );
          assert.match(dry.stderr, /hint: pass --adopt to use it/);
          const since = await lastSeq(sb);
          const r = await runCli(['init', '--yes', ...args], sb.env, cwd);
          assert.equal(r.code, 2, r.stderr);
          assert.deepEqual(
            (await requestLog(sb, since)).filter((x: Req) => x.mutating),
            [],
          );
        },
      );

      await t.test('with --adopt: the plan shows the adoption, and the writes are its changes', async () => {
        const plan = await planThenApply(sb, cwd, [...args, '--adopt'], 'adopted service');
        const service = plan.find((c) => c.stage === 'deploy' && c.resource === name)!;
        assert.equal(service.action, 'adopt');
        assert.deepEqual(service.fields?.sort(), ['iapEnabled', 'ingress', 'labels'].sort());
        assert.ok(
          plan.some((c) => c.action === 'revoke' && c.members?.includes('allUsers')),
          'the public invoker is revoked, as planned',
        );
        const again = await planThenApply(sb, cwd, [], 'adopted service, re-run');
        assert.deepEqual(
          again.filter((c) => c.action !== 'none'),
          [],
        );
      });

      await t.test("IAP settings that name another setup's pool: refused in the plan, nothing written", async () => {
        // A second setup for the same service with a pool of its own: the service it may share
        // (--adopt), but the IAP settings sign people in with the first setup's pool.
        const since = await lastSeq(sb);
        const dry = await runCli(
          ['init', '--dry-run', ...args, '--pool', 'second-setup-pool', '--adopt'],
          sb.env,
          await fresh(),
        );
        assert.equal(dry.code, 2, dry.stderr);
        assert.match(
          dry.stderr,
          new RegExp(
            /- the IAP settings of projects\/415104041262\/iap_web\/cloud_run-europe-west1\/services\/the/.source +
              /irs already sign people in with workforce pool/.source,
          ),
        );
        assert.deepEqual(
          (await requestLog(sb, since)).filter((x: Req) => x.mutating),
          [],
        );
      });
    } finally {
      await sb.stop();
    }
  },
);

test('--allow changed on re-runs and the Action drifts: the writes are the plan', async (t) => {
  const sb = await startSandbox({ caDir: process.env.IAP_AUTH0_TEST_CA_DIR });
  try {
    const cwd = await fresh();
    const allow = (...a: string[]) => [...SERVICE, ...a.flatMap((x) => ['--allow', x])];
    const first = await planThenApply(sb, cwd, allow('role:admin'), 'role:admin');
    assert.deepEqual(first.filter((c) => c.stage === 'auth0-action').map(writeOf), [
      'action create',
      'deploy create',
      'binding update',
    ]);
    const tools = await driftTools(sb, cwd);
    const actionId = () => tools.res('auth0-action', 'actionId');
    const drifts: [string, () => Promise<unknown>, string[]][] = [
      [
        'the Action unbound by hand',
        () => tools.mgmt.actions.triggers.bindings.updateMany('post-login', { bindings: [] }),
        ['binding update'],
      ],
      [
        'the Action deleted by hand',
        () => tools.mgmt.actions.delete(actionId(), { force: true }),
        ['action create', 'deploy create', 'binding update'],
      ],
    ];
    for (const [name, cause, repair] of drifts) {
      await t.test(name, async () => {
        await cause();
        const plan = await planThenApply(sb, cwd, [], name);
        assert.deepEqual(plan.map(writeOf).filter(Boolean).sort(), [...repair].sort());
      });
    }
    await t.test('group: added, then email: only, then pool', async () => {
      const both = await planThenApply(sb, cwd, allow('role:admin', 'group:engineering'), 'role: and group:');
      assert.deepEqual(
        both.map(writeOf).filter(Boolean).sort(),
        ['access setIamPolicy', 'provider update'],
        'the new member, and the attribute condition now naming the group too (the mapping is there already)',
      );
      const email = await planThenApply(sb, cwd, allow('email:alice@sandbox.example'), 'email: only');
      assert.deepEqual(
        email.filter((c) => c.stage === 'auth0-action').map(writeOf),
        ['binding update', 'action delete'],
        'the Action is unbound and deleted once no role: or group: needs it',
      );
      await planThenApply(sb, cwd, allow('pool'), 'pool');
      const again = await planThenApply(sb, cwd, [], 'pool, re-run');
      assert.deepEqual(
        again.filter((c) => c.action !== 'none'),
        [],
      );
    });
  } finally {
    await sb.stop();
  }
});
