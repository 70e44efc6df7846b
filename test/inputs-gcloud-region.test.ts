// Where the project and region come from when no flag gives them (gcloud's own configuration files,
// after the variables), and the region check on both sides: refused here with a suggestion, and by
// the sandbox's Cloud Run as Cloud Run refuses it when a user lets it through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gcloudConfig } from '../src/inputs/gcloud-config.js';
import { nearestRegion, unknownRegion } from '../src/inputs/regions.js';
import { resolveInputs } from '../src/inputs/resolve.js';
import { useSandbox, clientsFor, googleError, requestLog } from './helpers/sandbox.js';
import { runCli } from './helpers/cli.js';

async function gcloudDir(configs: Record<string, string>, active?: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-gcloud-'));
  await mkdir(path.join(dir, 'configurations'));
  for (const [name, ini] of Object.entries(configs))
    await writeFile(path.join(dir, 'configurations', `config_${name}`), ini);
  if (active) await writeFile(path.join(dir, 'active_config'), `${active}\n`);
  return dir;
}

test("gcloud configuration: the active configuration's [core] project and [run] region", async () => {
  const dir = await gcloudDir(
    {
      default: '[core]\nproject = default-project\n',
      work:
        '[core]\r\naccount = dev@example.com\r\nproject = work-project-1\r\n\r\n[run]\r\nregion = ' +
        'europe-west1\r\n[compute]\r\nregion = us-east1\r\n',
    },
    'work',
  );
  assert.deepEqual(gcloudConfig({ CLOUDSDK_CONFIG: dir }), {
    configuration: 'work',
    project: 'work-project-1',
    region: 'europe-west1',
  });
  // CLOUDSDK_ACTIVE_CONFIG_NAME outranks the active_config file, as in gcloud.
  assert.deepEqual(gcloudConfig({ CLOUDSDK_CONFIG: dir, CLOUDSDK_ACTIVE_CONFIG_NAME: 'default' }), {
    configuration: 'default',
    project: 'default-project',
  });
  // Without active_config gcloud uses "default"; without any file there is nothing (never an error).
  assert.deepEqual(gcloudConfig({ CLOUDSDK_CONFIG: await gcloudDir({ default: '[core]\nproject = p-one-two\n' }) }), {
    configuration: 'default',
    project: 'p-one-two',
  });
  assert.deepEqual(gcloudConfig({ CLOUDSDK_CONFIG: path.join(dir, 'missing') }), {});
  // HOME/.config/gcloud when CLOUDSDK_CONFIG is unset.
  const home = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-home-'));
  await mkdir(path.join(home, '.config', 'gcloud', 'configurations'), { recursive: true });
  await writeFile(
    path.join(home, '.config', 'gcloud', 'configurations', 'config_default'),
    '[core]\nproject = home-project\n',
  );
  assert.equal(gcloudConfig({ HOME: home }).project, 'home-project');
});

test(
  'regions: known ones pass, typos get the nearest real ' + 'name, IAP_AUTH0_ALLOW_REGION lets a newer one through',
  () => {
    for (const r of ['us-central1', 'europe-west9', 'asia-southeast1', 'me-central2'])
      assert.equal(unknownRegion(r, {}), undefined, r);
    assert.equal(nearestRegion('europe-west99'), 'europe-west9');
    assert.equal(nearestRegion('us-central2'), 'us-central1');
    assert.equal(nearestRegion('asia-southeast9'), 'asia-southeast1');
    assert.match(
      unknownRegion('us-west9', {})!,
      /not one Cloud Run serves: did you mean us-west[1-4]\?.*IAP_AUTH0_ALLOW_REGION=us-west9/,
    );
    assert.equal(unknownRegion('us-west9', { IAP_AUTH0_ALLOW_REGION: 'europe-west15, us-west9' }), undefined);
  },
);

test('the region check reads IAP_AUTH0_ALLOW_REGION from the environment the core is given', async () => {
  // The core takes its environment as an option (tests and the sandbox supply one); this process's own must not
  // decide. It does not name us-west9 here, so only the given environment can let it through.
  assert.equal(process.env.IAP_AUTH0_ALLOW_REGION, undefined);
  const gcloud = path.join(os.tmpdir(), 'iap-auth0-no-gcloud-config');
  const flags = { project: 'p-one-two', service: 'hello', region: 'us-west9', auth0Domain: 'dev-abc123.us.auth0.com' };
  const allowed = await resolveInputs({
    flags,
    env: { CLOUDSDK_CONFIG: gcloud, IAP_AUTH0_ALLOW_REGION: 'europe-west15, us-west9' },
    interactive: false,
  });
  assert.equal(allowed.region, 'us-west9');
  await assert.rejects(
    resolveInputs({ flags, env: { CLOUDSDK_CONFIG: gcloud }, interactive: false }),
    /--region: region "us-west9" is not one Cloud Run serves: did you mean us-west[1-4]\?/,
  );
});

test("init takes the project and region from gcloud's configuration after flags and variables", async (t) => {
  const sb = await useSandbox();
  const gcloud = await gcloudDir({
    default: '[core]\nproject = sandbox-folder-project\n[run]\nregion = europe-west1\n',
  });
  const dryRun = async (env: Record<string, string>, ...args: string[]) => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-gc-'));
    const r = await runCli(
      ['init', '--dry-run', '--json', '--service', 'hello', ...args],
      { ...sb.env, GOOGLE_CLOUD_PROJECT: '', CLOUDSDK_CONFIG: gcloud, ...env },
      cwd,
    );
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).audience as string;
  };
  await t.test("no flag, no variable: gcloud's project and [run] region", async () => {
    assert.equal(await dryRun({}), '/projects/628205712753/locations/europe-west1/services/hello');
  });
  await t.test('GOOGLE_CLOUD_PROJECT and CLOUDSDK_RUN_REGION outrank it', async () => {
    assert.equal(
      await dryRun({ GOOGLE_CLOUD_PROJECT: 'sandbox-project', CLOUDSDK_RUN_REGION: 'us-central1' }),
      '/projects/415104041262/locations/us-central1/services/hello',
    );
  });
  await t.test('flags outrank both', async () => {
    assert.equal(
      await dryRun(
        { GOOGLE_CLOUD_PROJECT: 'sandbox-folder-project' },
        '--project',
        'sandbox-project',
        '--region',
        'us-east1',
      ),
      '/projects/415104041262/locations/us-east1/services/hello',
    );
  });
});

test(
  'a region Cloud Run does not serve: refused by the ' + 'sandbox as Cloud Run refuses it, and init says so',
  async () => {
    const sb = await useSandbox();
    const { run } = clientsFor(sb);
    sb.world.services.get('415104041262')!.set('run.googleapis.com', { state: 'ENABLED', enabledAt: 0 });
    const err = await googleError(
      run.projects.locations.services.get({ name: 'projects/sandbox-project/locations/europe-west99/services/hello' }),
    );
    assert.equal(err.code, 400);
    assert.equal(err.status, 'INVALID_ARGUMENT');
    assert.match(err.message, /Location 'europe-west99' is not a valid location/);
    // A known region still answers as before.
    assert.equal(
      (
        await googleError(
          run.projects.locations.services.get({
            name: 'projects/sandbox-project/locations/europe-west9/services/hello',
          }),
        )
      ).code,
      404,
    );

    // Let through locally (as if this version's list were out of date), Cloud Run's refusal of the plan's
    // read reaches the user as a usage error, before any change.
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-region-'));
    const since = (await requestLog(sb)).at(-1)?.seq ?? 0;
    const r = await runCli(
      ['init', '--yes', '--service', 'hello', '--region', 'europe-west99'],
      { ...sb.env, IAP_AUTH0_ALLOW_REGION: 'europe-west99' },
      cwd,
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        /--region: Cloud Run does not serve region europe-west99\. Nothing was changed\.\n\s+hint: pick a /.source +
          /region from https:\/\/cloud\.google\.com\/run\/docs\/locations/.source,
      ),
    );
    assert.deepEqual(
      (await requestLog(sb, since)).filter((x: any) => x.mutating),
      [],
      'no write at all',
    );
  },
);
