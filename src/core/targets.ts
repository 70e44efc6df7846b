// What a guided init shows before its first question: the Google credentials, the project (its
// number and organization) and the Auth0 tenant it will change, each checked, so a project typo or
// a wrong Auth0 secret is reported right there and not after every question. Also whether the
// service already exists (then its image can be kept) and whose it is (using someone else's needs
// consent). Reads only; never prints or prompts.
import { readFileSync } from 'node:fs';
import { googleAuth } from '../google/auth.js';
import { googleClients } from '../google/clients.js';
import { googleAccountEmail } from '../google/account.js';
import { checkCredentials, checkGoogleCredentials, INIT_CREDENTIALS } from './local-checks.js';
import { auth0Preflight } from './auth0-preflight.js';
import { readProjectFacts } from './init.js';
import { planRead } from './google-call.js';
import { googleFailure } from './google-errors.js';
import type { EventSink } from './events.js';
import { serviceMarker } from './fates.js';
import type { Marker } from './ownership.js';

export interface Targets {
  /** Whose Google credentials: an account when it can be known locally, else where the credentials come from. */
  google: string;
  project: { id: string; number: string; organization?: string };
  /** The Auth0 tenant's domain (where the Management API is called), its credentials accepted. */
  auth0: string;
}

/**
 * Who the Google credentials are, as far as can be told without a request: a service account key
 * names its account; a token variable or a user's Application Default Credentials do not.
 */
export function googleCredentialsWords(env: NodeJS.ProcessEnv): string {
  const { source } = googleAuth(env);
  if (source !== 'application default credentials') return `the access token in ${source}`;
  const file = env.GOOGLE_APPLICATION_CREDENTIALS?.trim();
  if (file) {
    try {
      const key = JSON.parse(readFileSync(file, 'utf8')) as { client_email?: string };
      if (key.client_email) return `${key.client_email} (GOOGLE_APPLICATION_CREDENTIALS)`;
    } catch {
      // unreadable here: the first request reports it with its fix
    }
  }
  return 'application default credentials (gcloud auth application-default login)';
}

/** The account by its email (where the credentials come from, in brackets) when Google named it, else the source. */
export function accountWords(email: string | undefined, env: NodeJS.ProcessEnv): string {
  if (!email) return googleCredentialsWords(env);
  const { source } = googleAuth(env);
  const from =
    source === 'application default credentials' && env.GOOGLE_APPLICATION_CREDENTIALS?.trim()
      ? 'GOOGLE_APPLICATION_CREDENTIALS'
      : source;
  return `${email} (${from})`;
}

/** Checks the credentials, the project and the Auth0 tenant; a problem is a UserError naming its fix. */
export async function checkTargets(o: {
  env: NodeJS.ProcessEnv;
  project: string;
  auth0Domain: string;
  signal: AbortSignal;
  emit: EventSink;
}): Promise<Targets> {
  checkCredentials(o.env, INIT_CREDENTIALS);
  await checkGoogleCredentials(o.env);
  const facts = await readProjectFacts(o, o.project);
  await auth0Preflight({ env: o.env, inputs: { auth0Domain: o.auth0Domain }, signal: o.signal, command: 'init' });
  const email = await googleAccountEmail(o.env, { signal: o.signal });
  return {
    google: accountWords(email, o.env),
    project: {
      id: o.project,
      number: facts.projectNumber,
      ...(facts.organization ? { organization: facts.organization } : {}),
    },
    auth0: o.auth0Domain,
  };
}

/** An existing Cloud Run service as the guided init needs it: its image, and the iap-auth0 marker it carries. */
export interface ExistingService {
  image: string;
  /** Whose it is (ownership.ts), read from its labels and description; undefined when no iap-auth0 marks it. */
  marker?: Marker;
}

/** The Cloud Run service, or undefined when there is no such service (or it cannot be read). */
export async function existingService(o: {
  env: NodeJS.ProcessEnv;
  project: string;
  region: string;
  service: string;
  signal: AbortSignal;
  emit: EventSink;
}): Promise<ExistingService | undefined> {
  const google = googleClients(o.env, { signal: o.signal });
  const name = `projects/${o.project}/locations/${o.region}/services/${o.service}`;
  try {
    // planRead: a service that is absent, or a Run API not enabled yet (a fresh project), is no service.
    const s = await planRead(o, () => google.run.projects.locations.services.get({ name }));
    if (!s) return undefined;
    const marker = serviceMarker(s);
    return { image: s.template?.containers?.[0]?.image ?? '(unknown image)', ...(marker ? { marker } : {}) };
  } catch (e) {
    // Not readable (no permission yet, say): asked as for a new service; init's plan reports it.
    if (googleFailure(e) || o.signal.aborted) return undefined;
    throw e;
  }
}
