// Resolving init's inputs: flag, then the recorded state, then environment (gcloud's and Auth0's
// own variables, and an IAP_AUTH0_ variable for each answer of the guided init), then a prompt
// (interactive only), then a default. Every value goes through the
// same schema wherever it came from. Non-interactive, a missing required input is an error
// naming the flag, raised before any API call.
import * as v from 'valibot';
import * as s from './schema.js';
import { UserError } from '../lib/exit-codes.js';
import type { StateInputs } from '../state/schema.js';
import { gcloudConfig, type GcloudConfig } from './gcloud-config.js';

export interface InitFlags {
  project?: string;
  region?: string;
  service?: string;
  image?: string;
  organization?: string;
  auth0Domain?: string;
  /** The domain users sign in on (an Auth0 custom domain, or the tenant's own); found by itself otherwise. */
  auth0IssuerDomain?: string;
  pool?: string;
  provider?: string;
  oauthClient?: string;
  allow?: string[];
  /** The provider's attribute condition (CEL) instead of the derived one; '' goes back to the derived one. */
  require?: string;
  scope?: string;
  adopt?: boolean;
  /** false: do not set IAP_AUDIENCE on the service (--no-audience-env). */
  audienceEnv?: boolean;
}

export type Prompt = (q: {
  name: string;
  message: string;
  default?: string;
  validate: (v: string) => true | string;
}) => Promise<string>;

export const DEFAULT_IMAGE = 'us-docker.pkg.dev/cloudrun/container/hello';
export const DEFAULT_REGION = 'us-central1';

interface Spec {
  key: keyof StateInputs & keyof InitFlags;
  flag: string;
  env?: string[];
  /** A function of the run's environment when the rule reads it (the region: IAP_AUTH0_ALLOW_REGION). */
  schema: s.InputSchema | ((env: NodeJS.ProcessEnv) => s.InputSchema);
  message: string;
  /**
   * The default (Enter at the prompt; the value without a terminal), from what is known so far and gcloud's own
   * configuration.
   */
  fallback?: (r: Partial<StateInputs>, gcloud: GcloudConfig) => string | undefined;
  required: boolean;
  /** Asked in interactive mode (with its default, so Enter accepts it). */
  ask: boolean;
  /** A flag may change it on a re-run (the image: a new deployment, not another setup). */
  changeable?: boolean;
}

const derived = (r: Partial<StateInputs>) =>
  r.project && r.region && r.service ? s.derivedIds(r.project, r.region, r.service) : undefined;

const SPECS: Spec[] = [
  // gcloud's configured project (gcloud config set project), when no flag or variable gives one.
  {
    key: 'project',
    flag: '--project',
    env: ['GOOGLE_CLOUD_PROJECT', 'CLOUDSDK_CORE_PROJECT'],
    schema: s.projectSchema,
    message: 'Google Cloud project id',
    fallback: (_r, g) => g.project,
    required: true,
    ask: true,
  },
  {
    key: 'service',
    flag: '--service',
    env: ['IAP_AUTH0_SERVICE'],
    schema: s.serviceSchema,
    message: 'Cloud Run service name',
    required: true,
    ask: true,
  },
  {
    key: 'region',
    flag: '--region',
    env: ['CLOUDSDK_RUN_REGION'],
    schema: s.regionSchema,
    message: 'Cloud Run region',
    fallback: (_r, g) => g.region ?? DEFAULT_REGION,
    required: true,
    ask: true,
  },
  // Asked and recorded as the image for a NEW service only; an existing service keeps its image
  // unless --image is given on that run (see deployImage).
  {
    key: 'image',
    flag: '--image',
    // Like every variable, it never overrides the state file: an exported IAP_AUTH0_IMAGE must not
    // redeploy each setup init is re-run for. --image changes a recorded image.
    env: ['IAP_AUTH0_IMAGE'],
    schema: s.imageSchema,
    message: 'Container image for a new service (an existing one keeps its image)',
    fallback: () => DEFAULT_IMAGE,
    required: true,
    ask: true,
    changeable: true,
  },
  {
    key: 'auth0Domain',
    flag: '--auth0-domain',
    env: ['AUTH0_DOMAIN'],
    schema: s.auth0DomainSchema,
    message: 'Auth0 domain (e.g. dev-abc123.us.auth0.com)',
    required: true,
    ask: true,
  },
  // Optional: without it init signs users in on the tenant's ready custom domain, if any, else on
  // the Auth0 domain. A flag may change it on a re-run (the provider then gets the new issuer).
  {
    key: 'auth0IssuerDomain',
    flag: '--auth0-issuer-domain',
    env: ['IAP_AUTH0_ISSUER_DOMAIN'],
    schema: s.auth0DomainSchema,
    message: 'Auth0 sign-in domain',
    required: false,
    ask: false,
    changeable: true,
  },
  {
    key: 'pool',
    flag: '--pool',
    env: ['IAP_AUTH0_POOL'],
    schema: s.poolSchema,
    message: 'Workforce pool id',
    fallback: (r) => derived(r)?.pool,
    required: true,
    ask: true,
  },
  {
    key: 'provider',
    flag: '--provider',
    env: ['IAP_AUTH0_PROVIDER'],
    schema: s.providerSchema,
    message: 'Workforce provider id',
    fallback: (r) => derived(r)?.provider,
    required: true,
    ask: true,
  },
  {
    key: 'oauthClient',
    flag: '--oauth-client',
    env: ['IAP_AUTH0_OAUTH_CLIENT'],
    schema: s.oauthClientSchema,
    message: 'IAM OAuth client id',
    fallback: (r) => derived(r)?.oauthClient,
    required: true,
    ask: true,
  },
];

/**
 * The value an input's variables give (the first set, trimmed), as resolveInputs reads them; the guided init
 * asks no question a variable answers.
 */
export const fromEnv = (key: Spec['key'], env: NodeJS.ProcessEnv): string | undefined =>
  SPECS.find((spec) => spec.key === key)
    ?.env?.map((name) => env[name]?.trim())
    .find(Boolean);

/** `value` as `schema` makes it; a usage error naming where the value came from when it is invalid. */
export function judge<T>(schema: v.GenericSchema<string, T>, value: string, from: string): T {
  const r = v.safeParse(schema, value);
  if (!r.success) throw new UserError(`${from}: ${r.issues[0].message}`);
  return r.output;
}

/** A prompt's validate function: true, or the message saying what is wrong. */
export const promptCheck =
  (schema: v.GenericSchema) =>
  (value: string): true | string =>
    s.problem(schema, value) ?? true;

/** The variable that gives --allow's members: separated by commas or spaces (a member has neither). */
export const ALLOW_ENV = 'IAP_AUTH0_ALLOW';

/** IAP_AUTH0_ALLOW's members ("role:admin, email:a@example.com" or "role:admin email:a@example.com"). */
export const allowListOf = (text: string | undefined): string[] => (text ?? '').split(/[\s,]+/).filter(Boolean);

/**
 * --allow: the flags, else the recorded list, else IAP_AUTH0_ALLOW, else everyone in the pool;
 * each judged (naming where it came from), duplicates dropped.
 */
function resolveAllow(flags: string[] | undefined, recorded: string[] | undefined, env: NodeJS.ProcessEnv): string[] {
  const fromEnv = allowListOf(env[ALLOW_ENV]);
  const [given, from] = flags?.length
    ? [flags, '--allow']
    : recorded
      ? [recorded, '--allow']
      : fromEnv.length
        ? [fromEnv, ALLOW_ENV]
        : [['pool'], '--allow'];
  return [...new Set(given.map((a) => judge(s.allowSchema, a, from)))];
}

/** --require: the flag ('' drops a recorded one: the derived condition again), else the recorded condition. */
function resolveRequire(flag: string | undefined, recorded: string | undefined): string | undefined {
  if (flag === undefined) return recorded;
  return judge(s.requireSchema, flag, '--require') || undefined;
}

/**
 * Resolves every input. `recorded` is the state's inputs from an earlier run: a flag or variable
 * that disagrees with it is refused (the state describes resources that already exist).
 */
export async function resolveInputs(opts: {
  flags: InitFlags;
  env: NodeJS.ProcessEnv;
  recorded?: StateInputs;
  interactive: boolean;
  prompt?: Prompt;
  /**
   * The recorded setup has no IAP settings or access grants in place (never made, or destroyed): --scope may change.
   */
  scopeFree?: boolean;
}): Promise<StateInputs & { deployImage?: string }> {
  const { flags, env, recorded } = opts;
  const out: Partial<StateInputs> = {};
  const gcloud = gcloudConfig(env);
  for (const spec of SPECS) {
    const schema = typeof spec.schema === 'function' ? spec.schema(env) : spec.schema;
    const fromFlag = flags[spec.key] as string | undefined;
    const envName = spec.env?.find((n) => env[n]?.trim());
    let value: string | undefined;
    let from = '';
    if (fromFlag !== undefined) {
      value = judge(schema, fromFlag, spec.flag);
      from = spec.flag;
    } else if (envName && !(recorded && spec.key === 'project')) {
      value = judge(schema, env[envName]!.trim(), envName);
      from = envName;
    }
    const rec = recorded?.[spec.key] as string | undefined;
    if (rec !== undefined) {
      if (value !== undefined && value !== rec && fromFlag !== undefined && !spec.changeable) {
        throw new UserError(
          `${from} is "${value}" but this state file was set up with "${rec}"; use another --state for a ` +
            'second setup, or run iap-auth0 destroy first',
        );
      }
      if (!(spec.changeable && fromFlag !== undefined)) value = rec; // the recorded setup wins over ambient variables
    }
    if (value === undefined) {
      const fallback = spec.fallback?.(out, gcloud);
      if (opts.interactive && opts.prompt && spec.ask) {
        value = judge(
          schema,
          await opts.prompt({
            name: spec.key,
            message: spec.message,
            default: fallback,
            validate: promptCheck(schema),
          }),
          spec.flag,
        );
      } else value = fallback;
      // A value from gcloud's configuration is judged like any other, naming where it came from.
      const gcloudKey = spec.key === 'project' ? 'project' : spec.key === 'region' ? 'region' : undefined;
      if (value !== undefined && gcloudKey && value === gcloud[gcloudKey]) {
        value = judge(
          schema,
          value,
          `gcloud's configuration "${gcloud.configuration}" ` +
            `(${gcloudKey === 'project' ? 'core/project' : 'run/region'})`,
        );
      }
    }
    if (value === undefined && spec.required) {
      throw new UserError(
        'missing ' +
          spec.flag +
          (spec.env
            ? ` (or set ${spec.env.join(' or ')}${spec.key === 'project' ? ', or gcloud config set project' : ''})`
            : '') +
          `: ${spec.message.toLowerCase()} is required when iap-auth0 cannot ask (no terminal, CI, --yes or ` +
          '--json)',
      );
    }
    (out as Record<string, string>)[spec.key] = value!;
  }
  const allow = resolveAllow(flags.allow, recorded?.allow, env);
  const require = resolveRequire(flags.require, recorded?.require);
  // A different --allow on a re-run is legitimate: the access stage adds the new members.
  const scope = flags.scope ?? recorded?.scope ?? 'service';
  const sc = judge(s.scopeSchema, scope, '--scope');
  if (recorded && flags.scope && flags.scope !== recorded.scope && !opts.scopeFree) {
    throw new UserError(
      `--scope is "${flags.scope}" but this state file was set up with "${recorded.scope}"; remove its IAP ` +
        'settings and access first to change it: iap-auth0 destroy --force --keep ' +
        'deploy,auth0-app,workforce-pool,oauth-client',
    );
  }
  const audienceEnv = flags.audienceEnv ?? recorded?.audienceEnv ?? true;
  // Only an --image given on this run replaces the image of a service that already exists.
  const deployImage = flags.image !== undefined ? out.image : undefined;
  return {
    ...(out as StateInputs),
    allow,
    // Present even when undefined, so --require '' also drops the recorded condition from the state file.
    require,
    scope: sc,
    audienceEnv,
    ...(deployImage ? { deployImage } : {}),
    ...(recorded?.projectNumber ? { projectNumber: recorded.projectNumber } : {}),
    ...(recorded?.organization ? { organization: recorded.organization } : {}),
  };
}
