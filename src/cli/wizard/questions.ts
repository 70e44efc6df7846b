// The guided init's questions, as data: which ones a run asks (none that a flag, a variable or the
// state file already answers), the values it already knows, and how the "who may sign in" answer
// becomes --allow values. Pure: the prompts live in wizard.ts.
import { ALLOW_ENV, allowListOf, fromEnv, type InitFlags } from '../../inputs/resolve.js';
import type { StateInputs } from '../../state/schema.js';
import type { GcloudConfig } from '../../inputs/gcloud-config.js';
import { CLOUD_RUN_REGIONS } from '../../inputs/regions.js';
import { allowSchema, problem } from '../../inputs/schema.js';
import { setupName, type UseDecision } from '../../core/ownership.js';

export type Question = 'project' | 'auth0Domain' | 'service' | 'region' | 'image' | 'allow' | 'ids';

/** What is known before anything is asked. */
export interface Known {
  flags: InitFlags;
  env: NodeJS.ProcessEnv;
  recorded?: StateInputs;
  gcloud: GcloudConfig;
}

const set = (v: string | undefined) => (v?.trim() ? v.trim() : undefined);

/** The project init would use without asking (resolve.ts's order: flag, state, variables, gcloud). */
export const knownProject = (k: Known) =>
  set(k.flags.project) ??
  k.recorded?.project ??
  set(k.env.GOOGLE_CLOUD_PROJECT) ??
  set(k.env.CLOUDSDK_CORE_PROJECT) ??
  k.gcloud.project;

/** The Auth0 tenant's domain init would use without asking. */
export const knownAuth0Domain = (k: Known) =>
  set(k.flags.auth0Domain) ?? k.recorded?.auth0Domain ?? set(k.env.AUTH0_DOMAIN);

/** The service init would use without asking (resolve.ts's order: flag, state, IAP_AUTH0_SERVICE). */
export const knownService = (k: Known) => set(k.flags.service) ?? k.recorded?.service ?? fromEnv('service', k.env);

/**
 * The questions this run asks, in order. project and auth0Domain come first (only when nothing
 * names them): the wizard checks both before the others. The region is asked unless a flag, a
 * variable or the state names it (gcloud's run/region is offered first). "Customise ids?" is asked
 * unless an id flag or variable or the state file already settled them. Every question has its
 * flag and its variable (IAP_AUTH0_SERVICE, IAP_AUTH0_IMAGE, IAP_AUTH0_ALLOW, IAP_AUTH0_POOL, ...).
 */
export function questionsFor(k: Known): Question[] {
  const { flags, env, recorded } = k;
  const asked: Question[] = [];
  if (!knownProject(k)) asked.push('project');
  if (!knownAuth0Domain(k)) asked.push('auth0Domain');
  if (flags.service === undefined && !knownService(k)) asked.push('service');
  if (flags.region === undefined && !set(env.CLOUDSDK_RUN_REGION) && !recorded?.region) asked.push('region');
  if (flags.image === undefined && !recorded?.image && !fromEnv('image', env)) asked.push('image');
  if (!flags.allow?.length && !recorded?.allow?.length && !allowListOf(env[ALLOW_ENV]).length) asked.push('allow');
  const idGiven = [flags.pool, flags.provider, flags.oauthClient].some((x) => x !== undefined);
  const idVariable = (['pool', 'provider', 'oauthClient'] as const).some((key) => fromEnv(key, env));
  if (!idGiven && !idVariable && !recorded?.pool) asked.push('ids');
  return asked;
}

/** Who may sign in, as asked: everyone in the tenant, or a list of emails or of Auth0 role names. */
export type Who = { kind: 'everyone' } | { kind: 'emails'; list: string } | { kind: 'roles'; list: string };

/**
 * The --allow values an answer stands for: `pool` (everyone), `email:ADDRESS` per email (commas or
 * spaces between them), `role:NAME` per Auth0 role (commas between them: a role name may hold spaces).
 * A prefix typed as --allow spells it (`email:`, `role:`) is taken off, never doubled.
 */
export function allowFlags(who: Who): string[] {
  if (who.kind === 'everyone') return ['pool'];
  const prefix = who.kind === 'emails' ? 'email' : 'role';
  const items = who.list
    .split(who.kind === 'emails' ? /[\s,;]+/ : /[,;]+/)
    .map((x) => x.trim().replace(new RegExp(`^${prefix}:\\s*`, 'i'), ''))
    .filter(Boolean);
  return [...new Set(items)].map((x) => `${prefix}:${x}`);
}

/**
 * What is wrong with a list typed at the emails or roles question, in words about what to type there
 * (--allow's own messages speak of email:/role: values, which are not typed here); undefined when all is well.
 */
export function listProblem(who: Exclude<Who, { kind: 'everyone' }>): string | undefined {
  const emails = who.kind === 'emails';
  const how = emails
    ? 'type addresses such as alice@example.com, separated by commas'
    : 'type role names such as admin, separated by commas';
  const values = allowFlags(who);
  if (!values.length) return `none given: ${how}`;
  const bad = values.find((x) => problem(allowSchema, x));
  if (!bad) return undefined;
  const typed = bad.slice(bad.indexOf(':') + 1);
  return emails
    ? `"${typed}" is not an email address: ${how}`
    : `"${typed}" cannot be granted: a role name IAP can name has no spaces and no slash; ${how}`;
}

/**
 * Why the guided init asks before it uses an existing service, in words, when init would refuse it
 * without --adopt (`d`: decideUse without consent); undefined when nothing needs asking (the
 * service is this setup's, or --adopt would not help: the core reports that).
 */
export function serviceConsent(d: UseDecision, service: string): string | undefined {
  if (!('refuse' in d) || d.refuse === 'mismatch') return undefined;
  if (d.refuse === 'not-ours') return `Service ${service} exists and iap-auth0 did not create it.`;
  return `Service ${service} exists and ${setupName(d.owner)} created it (not this setup).`;
}

/** The regions matching what was typed (a substring, any case), `first` (gcloud's or the default) on top. */
export function regionChoices(typed: string | undefined, first: string): string[] {
  const q = (typed ?? '').trim().toLowerCase();
  const all = [first, ...CLOUD_RUN_REGIONS.filter((r) => r !== first)];
  return q ? all.filter((r) => r.includes(q)) : all;
}

/** The answers as the flags that give them without a question ("" when nothing was asked). */
export function flagLine(flags: InitFlags, given: InitFlags): string {
  const parts: string[] = [];
  const add = (flag: string, value: string | undefined, before: string | undefined) => {
    if (value !== undefined && value !== before) parts.push(`${flag} ${/[\s|'"]/.test(value) ? `'${value}'` : value}`);
  };
  add('--project', flags.project, given.project);
  add('--auth0-domain', flags.auth0Domain, given.auth0Domain);
  add('--service', flags.service, given.service);
  add('--region', flags.region, given.region);
  add('--image', flags.image, given.image);
  if (flags.adopt && !given.adopt) parts.push('--adopt');
  if (flags.allow !== given.allow) for (const a of flags.allow ?? []) add('--allow', a, undefined);
  add('--pool', flags.pool, given.pool);
  add('--provider', flags.provider, given.provider);
  add('--oauth-client', flags.oauthClient, given.oauthClient);
  return parts.join(' ');
}
