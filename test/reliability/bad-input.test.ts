// Bad input (issue 5, part 4): a table of cases, each ending with a message that names the input
// and says how to fix it, exit code 2, no API request when the input can be judged locally (only
// reads otherwise), and the state file byte for byte as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useSandbox, requestLog } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { assertNoSecretLeaked } from '../helpers/secrets.js';

type Requests = 'none' | 'reads';
interface Case {
  fresh?: boolean;
  name: string;
  args: string[];
  env?: Record<string, string> | ((env: Record<string, string>) => Record<string, string>);
  state?: (file: string) => Promise<void>;
  message: RegExp;
  code?: number;
  requests?: Requests;
  cleanup?: (file: string) => Promise<void>;
}

const long = (n: number) => 'a'.repeat(n);
const init = (...a: string[]) => ['init', '--yes', ...a];
const svc = ['--service', 'hello'];

/** A gcloud configuration folder (CLOUDSDK_CONFIG) whose active configuration holds `ini`, or none at all. */
function gcloudDir(ini?: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'iap-auth0-gcloud-'));
  if (ini !== undefined) {
    mkdirSync(path.join(dir, 'configurations'));
    writeFileSync(path.join(dir, 'configurations', 'config_default'), ini);
  }
  return dir;
}
/** A first-timer's machine: no token variable, no ADC file (empty HOME and gcloud folder), no metadata server. */
const emptyGcloud = gcloudDir();
const noGoogleCredentials = {
  CLOUDSDK_AUTH_ACCESS_TOKEN: '',
  GOOGLE_OAUTH_ACCESS_TOKEN: '',
  GOOGLE_APPLICATION_CREDENTIALS: '',
  HOME: emptyGcloud,
  CLOUDSDK_CONFIG: emptyGcloud,
  METADATA_SERVER_DETECTION: 'none',
};
const noCredentialsMessage = new RegExp(
  /no Google credentials: CLOUDSDK_AUTH_ACCESS_TOKEN and GOOGLE_OAUTH_ACCESS_TOKEN are not set, and /.source +
    /Application Default Credentials are not available.*\n\s+hint: sign in with `gcloud auth /.source +
    /application-default login`/.source,
);

const CASES: Case[] = [
  // Project ids
  {
    name: 'project id with capitals and underscore',
    args: init(...svc, '--project', 'Bad_Project'),
    message: /--project: project id "Bad_Project" is invalid: use 6-30 lowercase/,
  },
  {
    name: 'project id too short',
    args: init(...svc, '--project', 'abc'),
    message: /--project: project id "abc" is invalid/,
  },
  {
    name: 'project id with a trailing hyphen',
    args: init(...svc, '--project', 'my-project-'),
    message: /--project: .*not ending with a hyphen/,
  },
  {
    name: 'project id starting with a digit',
    args: init(...svc, '--project', '1project'),
    message: /--project: .*starting with a letter/,
  },
  {
    name: 'project id containing google',
    args: init(...svc, '--project', 'my-google-app'),
    message: /--project: .*cannot contain "google"/,
  },
  {
    name: 'project id too long',
    args: init(...svc, '--project', `p${long(30)}`),
    message: /--project: project id "pa+" is invalid/,
  },
  {
    fresh: true,
    name: "project id from gcloud's configuration",
    args: init(...svc),
    env: {
      GOOGLE_CLOUD_PROJECT: '',
      CLOUDSDK_CONFIG: gcloudDir('[core]\naccount = dev@example.com\nproject = Bad_Project\n'),
    },
    message: /gcloud's configuration "default" \(core\/project\): project id "Bad_Project" is invalid/,
  },
  {
    fresh: true,
    name: 'no project anywhere (flag, variables, gcloud)',
    args: init(...svc),
    env: { GOOGLE_CLOUD_PROJECT: '', CLOUDSDK_CONFIG: gcloudDir() },
    message: /missing --project \(or set GOOGLE_CLOUD_PROJECT or CLOUDSDK_CORE_PROJECT, or gcloud config set project\)/,
  },
  {
    fresh: true,
    name: 'project id from the environment',
    args: init(...svc),
    env: { GOOGLE_CLOUD_PROJECT: 'Not A Project' },
    message: /project id "Not A Project" is invalid/,
  },
  // Regions
  {
    name: 'region without a number',
    args: init(...svc, '--region', 'us-central'),
    message: /--region: region "us-central" is invalid: use a Cloud Run region such as us-central1/,
  },
  {
    name: 'region in capitals',
    args: init(...svc, '--region', 'US-CENTRAL1'),
    message: /--region: region "US-CENTRAL1" is invalid/,
  },
  {
    name: 'region Cloud Run does not serve',
    args: init(...svc, '--region', 'europe-west99'),
    message: new RegExp(
      /--region: region "europe-west99" is not one Cloud Run serves: did you mean /.source +
        /europe-west9\?.*IAP_AUTH0_ALLOW_REGION=europe-west99/.source,
    ),
  },
  {
    fresh: true,
    name: 'region from CLOUDSDK_RUN_REGION that Cloud Run does not serve',
    args: init(...svc),
    env: { CLOUDSDK_RUN_REGION: 'us-central' },
    message:
      /region "us-central" is invalid|region "us-central" is not one Cloud Run serves: did you mean us-central1\?/,
  },
  {
    name: 'region with an underscore',
    args: init(...svc, '--region', 'europe_west1'),
    message: /--region: region "europe_west1" is invalid/,
  },
  // Service names
  {
    name: 'service name with capitals',
    args: init('--service', 'Bad_Name'),
    message: /--service: service name "Bad_Name" is invalid: use lowercase letters/,
  },
  {
    name: 'service name starting with a hyphen',
    args: init('--service', '-hello'),
    message: new RegExp(
      /--service: service name "-hello" is invalid|--service.*argument missing/.source +
        /|error: option '--service <name>' argument missing/.source,
    ),
  },
  {
    name: 'service name with a trailing hyphen',
    args: init('--service', 'hello-'),
    message: /--service: .*do not end with a hyphen/,
  },
  {
    name: 'service name starting with a digit',
    args: init('--service', '1hello'),
    message: /--service: .*start with a letter/,
  },
  {
    name: 'service name of 60 characters',
    args: init('--service', `s${long(59)}`),
    message: /--service: .*fewer than 50 characters/,
  },
  { fresh: true, name: 'missing service name without a terminal', args: init(), message: /missing --service/ },
  // Workforce pool, provider and OAuth client ids
  {
    name: 'pool id with the reserved gcp- prefix',
    args: init(...svc, '--pool', 'gcp-pool-1'),
    message: /--pool: workforce pool id "gcp-pool-1" is invalid: the prefix "gcp-" is reserved by Google/,
  },
  {
    name: 'pool id with a trailing hyphen',
    args: init(...svc, '--pool', 'my-pool-'),
    message: /--pool: .*not ending with a hyphen/,
  },
  { name: 'pool id too short', args: init(...svc, '--pool', 'pool'), message: /--pool: .*6-63/ },
  {
    name: 'pool id with capitals',
    args: init(...svc, '--pool', 'My_Pool_1'),
    message: /--pool: workforce pool id "My_Pool_1" is invalid/,
  },
  {
    name: 'provider id with the gcp- prefix',
    args: init(...svc, '--provider', 'gcp-auth0'),
    message: /--provider: .*"gcp-" is reserved/,
  },
  { name: 'provider id too short', args: init(...svc, '--provider', 'a0'), message: /--provider: .*4-32/ },
  { name: 'provider id too long', args: init(...svc, '--provider', long(33)), message: /--provider: .*4-32/ },
  {
    name: 'OAuth client id with the gcp- prefix',
    args: init(...svc, '--oauth-client', 'gcp-client'),
    message: /--oauth-client: .*"gcp-" is reserved/,
  },
  {
    name: 'OAuth client id with a trailing hyphen',
    args: init(...svc, '--oauth-client', 'my-client-'),
    message: /--oauth-client: .*not ending with a hyphen/,
  },
  // Auth0 domains
  {
    name: 'Auth0 domain with a path',
    args: init(...svc, '--auth0-domain', 'https://tenant.eu.auth0.com/api/v2'),
    message: /--auth0-domain: Auth0 domain .* is invalid: use the tenant's host.*no path/,
  },
  {
    name: 'Auth0 domain with a port typo',
    args: init(...svc, '--auth0-domain', 'tenant.eu.auth0.com:4433x'),
    message: /--auth0-domain: .*is invalid/,
  },
  {
    name: 'Auth0 domain with an impossible port',
    args: init(...svc, '--auth0-domain', 'tenant.eu.auth0.com:99999'),
    message: /--auth0-domain: .*from 1 to 65535/,
  },
  {
    name: 'Auth0 domain with another scheme',
    args: init(...svc, '--auth0-domain', 'ftp://tenant.eu.auth0.com'),
    message: /--auth0-domain: .*is invalid/,
  },
  {
    name: 'Auth0 domain with a space',
    args: init(...svc, '--auth0-domain', 'tenant eu.auth0.com'),
    message: /--auth0-domain: .*is invalid/,
  },
  {
    name: 'Auth0 domain from the environment, with a query',
    args: init(...svc),
    env: { AUTH0_DOMAIN: 'tenant.eu.auth0.com/?x=1' },
    message: /Auth0 domain "tenant\.eu\.auth0\.com\/\?x=1" is invalid/,
  },
  // Images
  {
    name: 'image with spaces',
    args: init(...svc, '--image', 'not an image'),
    message: /--image: image reference is invalid: use e\.g\./,
  },
  {
    name: 'image in capitals',
    args: init(...svc, '--image', 'Docker.io/Library/Nginx'),
    message: /--image: image reference is invalid/,
  },
  {
    name: 'image with an empty tag',
    args: init(...svc, '--image', 'gcr.io/p/app:'),
    message: /--image: image reference is invalid/,
  },
  // The guided init's answers from their variables (a fresh folder: a state file's values win over variables)
  {
    fresh: true,
    name: 'service name from IAP_AUTH0_SERVICE',
    args: init(),
    env: { IAP_AUTH0_SERVICE: 'Bad_Name' },
    message: /IAP_AUTH0_SERVICE: service name "Bad_Name" is invalid/,
  },
  {
    fresh: true,
    name: 'image from IAP_AUTH0_IMAGE',
    args: init(...svc),
    env: { IAP_AUTH0_IMAGE: 'not an image' },
    message: /IAP_AUTH0_IMAGE: image reference is invalid/,
  },
  {
    fresh: true,
    name: 'a bare email among the members of IAP_AUTH0_ALLOW',
    args: init(...svc),
    env: { IAP_AUTH0_ALLOW: 'role:admin, alice@example.com' },
    message: /IAP_AUTH0_ALLOW: --allow member is invalid: .*\(for this address: email:alice@example\.com\)/,
  },
  {
    fresh: true,
    name: 'OAuth client id from IAP_AUTH0_OAUTH_CLIENT',
    args: init(...svc),
    env: { IAP_AUTH0_OAUTH_CLIENT: 'x' },
    message: /IAP_AUTH0_OAUTH_CLIENT: OAuth client id "x" is invalid: use 6-63 lowercase letters/,
  },
  // --allow members
  {
    name: '--allow with a bare email',
    args: init(...svc, '--allow', 'alice@example.com'),
    message: /--allow: --allow member is invalid: use pool, user:/,
  },
  {
    name: '--allow group: with no name',
    args: init(...svc, '--allow', 'group:'),
    message: /--allow: group:: the group name is empty: use group:NAME, e\.g\. group:engineering/,
  },
  {
    name: '--allow role: with no name',
    args: init(...svc, '--allow', 'role:'),
    message: /--allow: role:: the role name is empty: use role:NAME, e\.g\. role:admin/,
  },
  {
    name: '--allow email: with a malformed address',
    args: init(...svc, '--allow', 'email:alice@'),
    message: /--allow: email:alice@: "alice@" is not an email address: use email:alice@example\.com/,
  },
  {
    name: '--allow user: with no id',
    args: init(...svc, '--allow', 'user:'),
    message: /--allow: user: is not an Auth0 user id/,
  },
  {
    name: '--allow user: with an email address',
    args: init(...svc, '--allow', 'user:alice@example.com'),
    message: new RegExp(
      /--allow: user:alice@example\.com is an email address, not an Auth0 user id: /.source +
        /use --allow email:alice@example\.com/.source,
    ),
  },
  {
    name: '--allow role: naming a role the tenant does not have',
    args: init(...svc, '--allow', 'role:admins'),
    message: new RegExp(
      /--allow role:admins: the Auth0 tenant \S+ has no role named "admins"; nothing was changed\n/.source +
        /\s+hint: its roles: admin, iap-users, viewer/.source,
    ),
    requests: 'reads',
  },
  {
    name: '--require that is not CEL',
    args: init(...svc, '--require', "'admins' in"),
    message: /--require: "'admins' in" is not a CEL expression \(.+\): write a condition such as/,
  },
  // Other flags
  {
    name: '--scope with an unknown value',
    args: init(...svc, '--scope', 'everything'),
    message: /option '--scope <scope>' argument 'everything' is invalid\. use one of: service, project/,
  },
  {
    name: '--organization that is not a number',
    args: init(...svc, '--organization', 'acme'),
    message: /--organization: organization "…" is invalid: use the numeric organization id/,
  },
  { name: 'an unknown flag', args: init(...svc, '--colour'), message: /unknown option '--colour'/ },
  { name: 'an unknown command', args: ['deploy'], message: /unknown command 'deploy'/ },
  {
    name: '--wait that is not a duration',
    args: ['verify', '--wait', 'soon'],
    message: /option '--wait \[duration\]' argument 'soon' is invalid\. use a number with ms, s, m, h or d/,
  },
  {
    name: '--keep naming no stage',
    args: ['destroy', '--force', '--keep', 'everything'],
    message: /--keep: unknown stage everything\n\s+hint: use any of deploy/,
  },
  {
    name: 'sandbox --faults with a bad code',
    args: ['sandbox', '--faults', 'iam=0.3:500'],
    message: /--faults: invalid fault "iam=0\.3:500"/,
  },
  // Credentials and endpoints
  {
    name: 'missing Auth0 client secret',
    args: init(...svc),
    env: { AUTH0_CLIENT_SECRET: '' },
    message: /AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET must be set/,
  },
  {
    name: 'missing Auth0 client id for verify',
    args: ['verify'],
    env: { AUTH0_CLIENT_ID: '' },
    message: /AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET must be set/,
  },
  // Auth0 credentials with invisible characters: named, never trimmed, never printed
  {
    name: 'Auth0 client secret with a trailing newline',
    args: init(...svc),
    env: (e) => ({ AUTH0_CLIENT_SECRET: `${e.AUTH0_CLIENT_SECRET}\n` }),
    message: /AUTH0_CLIENT_SECRET ends with a newline \(\\n\); Auth0 compares it byte for byte.*\n\s+hint: .*printf/,
  },
  {
    name: 'Auth0 client secret with a trailing carriage return',
    args: init(...svc),
    env: (e) => ({ AUTH0_CLIENT_SECRET: `${e.AUTH0_CLIENT_SECRET}\r` }),
    message: /AUTH0_CLIENT_SECRET ends with a carriage return \(\\r\).*\n\s+hint: .*Windows line endings/,
  },
  {
    name: 'Auth0 client secret with a trailing space',
    args: init(...svc, '--dry-run'),
    env: (e) => ({ AUTH0_CLIENT_SECRET: `${e.AUTH0_CLIENT_SECRET} ` }),
    message: /AUTH0_CLIENT_SECRET ends with a space/,
  },
  {
    name: 'Auth0 client id with a leading tab, for verify',
    args: ['verify'],
    env: (e) => ({ AUTH0_CLIENT_ID: `\t${e.AUTH0_CLIENT_ID}` }),
    message: /AUTH0_CLIENT_ID starts with a tab \(\\t\)/,
  },
  {
    name: 'Auth0 client secret of only a newline',
    args: ['destroy', '--force'],
    env: { AUTH0_CLIENT_SECRET: '\n' },
    message: /AUTH0_CLIENT_SECRET holds only a newline \(\\n\)/,
  },
  {
    name: 'endpoint override with a path prefix',
    args: init(...svc),
    env: { CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN: 'http://127.0.0.1:1/run/' },
    message: new RegExp(
      /CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN="http:\/\/127\.0\.0\.1:1\/run\/" is not usable: a path /.source +
        /prefix cannot be honoured/.source,
    ),
  },
  {
    name: 'endpoint override that is not a URL',
    args: init(...svc),
    env: { CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM: 'iam-local' },
    message: /CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM="iam-local" is not usable: it is not a URL/,
  },
  {
    fresh: true,
    name: 'no Google credentials at all (init)',
    args: init(...svc),
    env: noGoogleCredentials,
    message: noCredentialsMessage,
  },
  {
    fresh: true,
    name: 'no Google credentials at all (init --dry-run)',
    args: ['init', '--dry-run', ...svc],
    env: noGoogleCredentials,
    message: noCredentialsMessage,
  },
  {
    name: 'no Google credentials at all (verify)',
    args: ['verify'],
    env: noGoogleCredentials,
    message: noCredentialsMessage,
  },
  {
    name: 'no Google credentials at all (destroy)',
    args: ['destroy', '--force'],
    env: noGoogleCredentials,
    message: noCredentialsMessage,
  },
  {
    name: 'a Google token Google rejects',
    args: init(...svc),
    env: { CLOUDSDK_AUTH_ACCESS_TOKEN: 'ya29.expired-token-value' },
    message: new RegExp(
      /Google rejected the credentials \(401 UNAUTHENTICATED\)\.\n\s+hint: sign in with `gcloud auth /.source +
        /application-default login`/.source,
    ),
    requests: 'reads',
  },
  // Facts only the services know (reads only, nothing changed)
  {
    fresh: true,
    name: 'a project that does not exist',
    args: init(...svc, '--project', 'no-such-project'),
    message: /project no-such-project was not found or you may not read it\n\s+hint: check --project/,
    requests: 'reads',
  },
  {
    fresh: true,
    name: 'a project without an organization',
    args: init(...svc, '--project', 'sandbox-no-org'),
    message: /project sandbox-no-org is not in an organization.*\n\s+hint: .*--organization ORG_ID/,
    requests: 'reads',
  },
  {
    name: "--organization that is not the project's",
    args: init(...svc, '--organization', '999999999999'),
    message: /--organization 999999999999 differs from the project's organization 123456789012/,
    requests: 'reads',
  },
  {
    name: 'a wrong Auth0 client secret',
    args: init(...svc),
    env: { AUTH0_CLIENT_SECRET: 'not-the-secret-000000000000000000000000000' },
    message: new RegExp(
      /Auth0 rejected AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET at https:.*\/oauth\/token \(401 /.source +
        /access_denied: Unauthorized\).*\n\s+hint: copy both again from Auth0 dashboard > Applications/.source,
    ),
    requests: 'reads',
  },
  {
    name: 'a wrong Auth0 client secret, for destroy',
    args: ['destroy', '--force'],
    env: { AUTH0_CLIENT_SECRET: 'not-the-secret-000000000000000000000000000' },
    message: /Auth0 rejected AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET/,
    requests: 'reads',
  },
  {
    name: 'an Auth0 client id unknown to the tenant, dry run',
    args: init(...svc, '--dry-run'),
    env: { AUTH0_CLIENT_ID: 'NoSuchClient0000000000' },
    message: /Auth0 rejected AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET/,
    requests: 'reads',
  },
  {
    fresh: true,
    name: 'an unreachable Auth0 domain',
    args: init(...svc, '--auth0-domain', 'tenant.invalid:1'),
    message: new RegExp(
      /cannot reach Auth0 at https:\/\/tenant\.invalid:1\/\.well-known\/openid-configuration.*\n\s+hint/.source +
        /: check --auth0-domain/.source,
    ),
    requests: 'reads',
  },
  // State files
  {
    name: 'a corrupt state file',
    args: init(...svc),
    state: (f) => writeFile(f, '{"tool":"iap-auth0",,}'),
    message: /the state file .*state\.json is not valid JSON.*left untouched/,
  },
  {
    name: 'a truncated state file',
    args: init(...svc),
    state: async (f) => writeFile(f, (await readFile(f, 'utf8')).slice(0, 200)),
    message: /is not valid JSON \(corrupt or truncated\)/,
  },
  {
    name: 'a state file from a newer iap-auth0',
    args: init(...svc),
    state: async (f) => writeFile(f, (await readFile(f, 'utf8')).replace('"version": 1', '"version": 7')),
    message: /written by a newer iap-auth0 \(state version 7.*\n\s+hint: upgrade iap-auth0/,
  },
  {
    name: 'a file of another tool',
    args: init(...svc),
    state: (f) => writeFile(f, '{"tool":"terraform","version":4}'),
    message: /is not an iap-auth0 state file.*\n\s+hint: pass --state/,
  },
  {
    name: 'a damaged state file',
    args: init(...svc),
    state: async (f) => writeFile(f, (await readFile(f, 'utf8')).replace('"region": "us-central1"', '"region": 12')),
    message: /is damaged: inputs\.region/,
  },
  {
    name: 'a state file for another project',
    args: init(...svc, '--project', 'sandbox-folder-project'),
    message: /--project is "sandbox-folder-project" but this state file was set up with "sandbox-project"/,
  },
  {
    name: 'a state file for another service',
    args: init('--service', 'other'),
    message: /--service is "other" but this state file was set up with "hello"/,
  },
  {
    name: 'a state file that cannot be read (a folder)',
    args: init(...svc),
    state: async (f) => {
      await rm(f);
      await mkdir(f);
    },
    message: /cannot read the state file .* \(EISDIR\)/,
    cleanup: async (f) => {
      await rm(f, { recursive: true });
    },
  },
  {
    name: 'a read-only state file',
    args: init(...svc),
    state: makeReadOnly,
    message: new RegExp(
      /the state file .* cannot be updated \((EACCES|EPERM) .*nothing was changed\.\n\s+hint: make it /.source +
        /writable \(chmod u\+w/.source,
    ),
    cleanup: makeWritable,
  },
  {
    name: 'status on a corrupt state file',
    args: ['status'],
    state: (f) => writeFile(f, 'not json'),
    message: /is not valid JSON/,
  },
  {
    name: 'destroy with no state file',
    args: ['destroy', '--force', '--state', 'nowhere/state.json'],
    message: /no state file at nowhere\/state\.json.*\n\s+hint: run iap-auth0 init first/,
  },
  {
    name: 'destroy without --force and without a terminal',
    args: ['destroy'],
    message: /needs confirmation: nothing was deleted\n\s+hint: run it in a terminal to confirm, or pass --force/,
  },
];

const isRoot = process.getuid?.() === 0;
/** Root ignores file modes, so as root the file is made immutable instead (chattr +i). */
async function makeReadOnly(f: string) {
  if (!isRoot) return chmod(f, 0o400);
  const r = spawnSync('chattr', ['+i', f]);
  if (r.status !== 0) throw new Error(`cannot make ${f} read-only as root: ${r.stderr}`);
}
async function makeWritable(f: string) {
  if (isRoot) spawnSync('chattr', ['-i', f]);
  else await chmod(f, 0o600);
}

test(`bad input: ${CASES.length} cases, each exit 2 naming the input and the fix, state file unchanged`, async (t) => {
  const sb = await useSandbox();
  // A real state file from a finished init, copied for each case that needs one.
  const base = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-bad-base-'));
  const first = await runCli(['init', '--yes', '--service', 'hello'], sb.env, base);
  assert.equal(first.code, 0, first.stderr);
  const outputs: string[] = [];
  const dirs: string[] = [];
  let local = 0;
  for (const c of CASES) {
    await t.test(c.name, async () => {
      const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-bad-'));
      dirs.push(cwd);
      // Cases about a first run start without a state file (a recorded setup outranks ambient variables).
      if (!c.fresh) await cp(path.join(base, '.iap-auth0'), path.join(cwd, '.iap-auth0'), { recursive: true });
      const file = path.join(cwd, '.iap-auth0', 'state.json');
      if (c.state) await c.state(file);
      const before = existsSync(file) ? await readFile(file).catch(() => undefined) : undefined;
      const since = (await requestLog(sb)).at(-1)?.seq ?? 0;
      const r = await runCli(c.args, { ...sb.env, ...(typeof c.env === 'function' ? c.env(sb.env) : c.env) }, cwd);
      outputs.push(r.stdout, r.stderr);
      try {
        assert.equal(r.code, c.code ?? 2, `exit code; stderr: ${r.stderr}`);
        assert.match(r.stderr, c.message);
        const log = (await requestLog(sb, since)).filter((x: any) => x.api !== 'frontdoor' && x.api !== 'signin');
        if ((c.requests ?? 'none') === 'none') {
          assert.deepEqual(log, [], 'judged locally: no request');
          local++;
        } else
          assert.deepEqual(
            log.filter((x: any) => x.mutating),
            [],
            'reads only: nothing changed',
          );
        const after = existsSync(file) ? await readFile(file).catch(() => undefined) : undefined;
        assert.deepEqual(after, before, 'the state file is byte for byte as it was');
        assert.equal(existsSync(`${file}.lock`), false, 'no lock left behind');
      } finally {
        await c.cleanup?.(file);
      }
    });
  }
  t.diagnostic(`${CASES.length} bad inputs: all exit 2 with the input named; ${local} judged without any request`);
  await assertNoSecretLeaked(sb, outputs, dirs);
});
