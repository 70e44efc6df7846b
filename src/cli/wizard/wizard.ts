// The guided init on a terminal: first the Google credentials, project and Auth0 tenant it will
// change (checked, so a typo stops it at once), then only the questions a person can answer and
// no flag, variable or state file answered (questions.ts), "Use it?" before using an existing
// service iap-auth0 did not create (yes is --adopt), the derived ids with "Customise ids?",
// and, once the core has made the plan, the plan in plain words and "Apply?". Every answer becomes
// the flag it stands for: the core runs exactly as with those flags.
import { EXIT, UserError } from '../../lib/exit-codes.js';
import * as s from '../../inputs/schema.js';
import { DEFAULT_IMAGE, DEFAULT_REGION, type InitFlags } from '../../inputs/resolve.js';
import { gcloudConfig } from '../../inputs/gcloud-config.js';
import { readState } from '../../state/store.js';
import { asUsageError } from '../../core/local-checks.js';
import { decideUse, type Recorded as RecordedUse } from '../../core/ownership.js';
import { recordedAs } from '../../core/records.js';
import type { ExistingService } from '../../core/targets.js';
import type { PlanItem } from '../../core/stage.js';
import type { Interrupt } from '../interrupt.js';
import type { Renderer } from '../render.js';
import {
  allowFlags,
  flagLine,
  knownAuth0Domain,
  knownProject,
  knownService,
  questionsFor,
  regionChoices,
  listProblem,
  serviceConsent,
  type Known,
  type Who,
} from './questions.js';
import { planWords } from '../plan-words.js';
import { wrap } from '../wrap.js';

export interface Guided {
  /** The flags with every answer in them. */
  flags: InitFlags;
  /** Shows the plan in plain words and asks "Apply?". */
  confirm: (plan: PlanItem[]) => Promise<boolean>;
  /** Whether the plan was shown (the progress renderer does not print it again). */
  planShown: () => boolean;
}

interface Io {
  ui: Renderer;
  ctrlC: Interrupt;
  env: NodeJS.ProcessEnv;
  statePath?: string;
  columns: () => number;
}

/** One question; Ctrl-C there interrupts the run, with nothing changed. */
async function ask<T>(
  io: Io,
  show: (ctx: { output: NodeJS.WriteStream; signal: AbortSignal }) => Promise<T>,
): Promise<T> {
  try {
    return await show({ output: process.stderr, signal: io.ctrlC.signal });
  } catch (e) {
    if ((e as Error).name === 'ExitPromptError' || (e as Error).name === 'AbortPromptError') {
      io.ctrlC.interrupt();
      throw new UserError('interrupted; nothing was changed. Run iap-auth0 init again when ready.', EXIT.INTERRUPTED);
    }
    throw e;
  }
}

const check = (schema: s.InputSchema) => (value: string) => s.problem(schema, value) ?? true;

async function text(io: Io, message: string, schema: s.InputSchema, dflt?: string): Promise<string> {
  const { default: input } = await import('@inquirer/input');
  const answer = await ask(io, (ctx) => input({ message, default: dflt, validate: check(schema) }, ctx));
  return answer.trim();
}

async function yesNo(io: Io, message: string, dflt: boolean): Promise<boolean> {
  const { default: confirm } = await import('@inquirer/confirm');
  return ask(io, (ctx) => confirm({ message, default: dflt }, ctx));
}

/** Asks what the flags, variables and state file leave open; returns the flags with the answers. */
export async function guide(opts: InitFlags & { setup?: string }, io: Io): Promise<Guided> {
  let recorded: Recorded;
  try {
    recorded = await readState(io.statePath ?? '.iap-auth0/state.json');
  } catch (e) {
    throw asUsageError(e);
  }
  const known: Known = { flags: opts, env: io.env, recorded: recorded?.inputs, gcloud: gcloudConfig(io.env) };
  const questions = questionsFor(known);
  const flags: InitFlags = { ...opts };
  if (questions.includes('project')) flags.project = await text(io, 'Google Cloud project id', s.projectSchema);
  if (questions.includes('auth0Domain'))
    flags.auth0Domain = await text(io, 'Auth0 domain (e.g. dev-abc123.us.auth0.com)', s.auth0DomainSchema);
  const project = knownProject({ ...known, flags });
  await showTargets(io, project ?? '', knownAuth0Domain({ ...known, flags }) ?? '');

  if (questions.includes('service')) flags.service = await text(io, 'Cloud Run service name', s.serviceSchema);
  if (questions.includes('region')) flags.region = await region(io, known.gcloud.region ?? DEFAULT_REGION);
  const service = knownService({ ...known, flags }) ?? '';
  const where = flags.region || io.env.CLOUDSDK_RUN_REGION?.trim() || recorded?.inputs.region || DEFAULT_REGION;
  const target = { project: project ?? '', region: where, service };
  const rec = recordedService(target, recorded);
  const existing = await existingOne(io, target, {
    needImage: questions.includes('image'),
    ownerKnown: !!flags.adopt || !!rec,
  });
  // This setup's id as init will choose it: the state file's, else --setup; a new one matches no marker ('-').
  const me = recorded?.setupId ?? opts.setup ?? '-';
  if (existing && !flags.adopt && (await adoptService(io, existing, service, me, rec))) flags.adopt = true;
  if (questions.includes('image')) flags.image = await image(io, service, existing?.image);
  if (questions.includes('allow')) flags.allow = await whoMaySignIn(io);
  if (questions.includes('ids')) Object.assign(flags, await ids(io, project ?? '', where, service));
  const asFlags = flagLine(flags, opts);
  if (asFlags) for (const l of wrap(asFlags, io.columns(), 'Your answers as flags: ', '  ')) io.ui.line(l);

  let shown = false;
  return {
    flags,
    planShown: () => shown,
    confirm: async (plan) => {
      io.ui.line('');
      for (const l of planWords(plan, io.columns())) io.ui.line(l);
      shown = true;
      return yesNo(io, 'Apply?', true);
    },
  };
}

/** The credentials, project and tenant this run will change, checked before the next question. */
async function showTargets(io: Io, project: string, auth0Domain: string): Promise<void> {
  const { checkTargets } = await import('../../core/targets.js');
  const t = await checkTargets({ env: io.env, project, auth0Domain, signal: io.ctrlC.signal, emit: io.ui.event });
  const c = io.ui.color;
  const org = t.project.organization ? `, organization ${t.project.organization}` : ', no organization';
  const rows: [string, string][] = [
    ['Google', t.google],
    ['Project', `${t.project.id} (number ${t.project.number}${org})`],
    ['Auth0', `tenant ${t.auth0} (its credentials are accepted)`],
  ];
  for (const [k, v] of rows) for (const l of wrap(v, io.columns(), `${c.green('✓')} ${k.padEnd(8)}`)) io.ui.line(l);
}

/** The region, from the searchable list of Cloud Run regions (`first` on top: gcloud's or the default). */
async function region(io: Io, first: string): Promise<string> {
  const { default: search } = await import('@inquirer/search');
  const schema = s.regionSchema(io.env);
  return ask(io, (ctx) =>
    search(
      {
        message: 'Cloud Run region (type to search)',
        source: (typed) => {
          const list = regionChoices(typed, first);
          // A region newer than the list passes when IAP_AUTH0_ALLOW_REGION names it.
          const extra = typed && !list.includes(typed.trim()) && !s.problem(schema, typed.trim()) ? [typed.trim()] : [];
          return [...list, ...extra].map((r) => ({ value: r, name: r }));
        },
        pageSize: 8,
      },
      ctx,
    ),
  );
}

type Recorded = Awaited<ReturnType<typeof readState>>;
type Target = { project: string; region: string; service: string };

/** How the state file recorded the service (created, adopted, or not at all: another name, or no state). */
function recordedService(t: Target, recorded: Recorded) {
  const st = recorded?.stages.deploy;
  return st && recordedAs(st, 'service', `projects/${t.project}/locations/${t.region}/services/${t.service}`);
}

/**
 * The existing service, read when the image question needs it or whose it is may need consent (no
 * --adopt, and the state file does not record it: a recorded one's marker is the core's to check).
 */
async function existingOne(io: Io, t: Target, o: { needImage: boolean; ownerKnown: boolean }) {
  if (!o.needImage && o.ownerKnown) return undefined;
  const { existingService } = await import('../../core/targets.js');
  return existingService({ env: io.env, ...t, signal: io.ctrlC.signal, emit: io.ui.event });
}

/**
 * For a service init would refuse without --adopt (someone else's, or another setup's): asks before
 * anything else about it. Yes stands for --adopt; no ends the run with nothing written.
 */
async function adoptService(io: Io, existing: ExistingService, service: string, me: string, rec: RecordedUse) {
  const why = serviceConsent(decideUse(existing.marker, me, rec, false), service);
  if (!why) return false;
  for (const l of wrap(why, io.columns(), '')) io.ui.line(l);
  if (await yesNo(io, 'Use it? iap-auth0 changes only what IAP needs and never deletes it', true)) return true;
  // The line above named the service: the message fits 80 columns with its "iap-auth0: ".
  throw new UserError('nothing was changed; choose another service name, or pass --adopt', EXIT.USAGE);
}

/** The image: for an existing service, keep its image or name another; for a new one, an image or the sample. */
async function image(io: Io, service: string, current: string | undefined): Promise<string | undefined> {
  if (current !== undefined) {
    const { default: select } = await import('@inquirer/select');
    const keep = await ask(io, (ctx) =>
      select(
        {
          message: `Service ${service} exists. Its image`,
          choices: [
            { value: true, name: `Keep the existing service's image (${current})` },
            { value: false, name: 'Deploy another image' },
          ],
        },
        ctx,
      ),
    );
    if (keep) return undefined;
  }
  return text(io, 'Container image to deploy', s.imageSchema, current === undefined ? DEFAULT_IMAGE : undefined);
}

/** Who may sign in: everyone in the tenant, some emails or some roles (as --allow values). */
async function whoMaySignIn(io: Io): Promise<string[]> {
  const { default: select } = await import('@inquirer/select');
  const kind = await ask(io, (ctx) =>
    select<Who['kind']>(
      {
        message: 'Who may sign in?',
        choices: [
          { value: 'everyone', name: 'Everyone in the Auth0 tenant' },
          { value: 'emails', name: 'Only some email addresses (verified in Auth0)' },
          { value: 'roles', name: 'Only some Auth0 roles' },
        ],
      },
      ctx,
    ),
  );
  if (kind === 'everyone') return allowFlags({ kind });
  const { default: input } = await import('@inquirer/input');
  const list = await ask(io, (ctx) =>
    input(
      {
        message: kind === 'emails' ? 'Email addresses (separated by commas)' : 'Auth0 role names (separated by commas)',
        // Spoken of as what is typed here, never as --allow values (email:…): that prefix is not typed.
        validate: (v) => listProblem({ kind, list: v }) ?? true,
      },
      ctx,
    ),
  );
  return allowFlags({ kind, list });
}

/** The derived ids, shown; changed only if asked for. */
async function ids(io: Io, project: string, where: string, service: string): Promise<Partial<InitFlags>> {
  const d = s.derivedIds(project, where, service);
  const line = `workforce pool ${d.pool}, provider ${d.provider}, OAuth client ${d.oauthClient}`;
  for (const l of wrap(line, io.columns(), 'Ids derived from your answers: ', '  ')) io.ui.line(l);
  if (!(await yesNo(io, 'Customise ids?', false))) return {};
  return {
    pool: await text(io, 'Workforce pool id', s.poolSchema, d.pool),
    provider: await text(io, 'Workforce provider id', s.providerSchema, d.provider),
    oauthClient: await text(io, 'IAM OAuth client id', s.oauthClientSchema, d.oauthClient),
  };
}
