// What every stage gets: inputs, clients, the state, progress events, cancellation, and shared
// memoized facts (APIs enabled, the Auth0 issuer, secrets held in memory only).
import type { GoogleClients } from '../google/clients.js';
import type { ManagementClient } from 'auth0';
import type { StateHandle } from './state-handle.js';
import type { EventSink } from './events.js';
import type { StateInputs } from '../state/schema.js';
import type { SignIn } from './auth0-session.js';

export interface ResolvedInputs extends StateInputs {
  projectNumber: string;
  organization: string;
  /** Take over resources with our ids that iap-auth0 did not create. */
  adopt: boolean;
  /** This setup's id, written into every marker ('' for a state file of 0.1.0, whose markers had none). */
  setupId: string;
  /** The image to deploy on this run: only --image replaces an existing service's image. */
  deployImage?: string;
}

export interface CoreContext {
  env: NodeJS.ProcessEnv;
  inputs: ResolvedInputs;
  google: GoogleClients;
  auth0(): Promise<ManagementClient>;
  state: StateHandle;
  emit: EventSink;
  signal: AbortSignal;
  /** https://auth.cloud.google unless IAP_AUTH0_SIGNIN_ORIGIN says otherwise. */
  signinOrigin: string;
  /** Memoized: the needed APIs are enabled and usable. */
  apisReady(): Promise<void>;
  /**
   * Memoized: this setup's claim on its workforce pool (created now, or found to be this setup's or
   * adopted), as the workforce-pool stage planned it. Stages create nothing before it: two setups
   * racing for one id stop here, one of them having created nothing.
   */
  claim(): Promise<'created' | 'adopted'>;
  /**
   * Memoized: the Auth0 discovery document's issuer, verbatim (trailing slash included), of the domain users sign in
   * on.
   */
  auth0Issuer(): Promise<string>;
  /**
   * Memoized: where users sign in (AUTH0_DOMAIN, the tenant's ready custom domain, or
   * --auth0-issuer-domain) with that domain's discovery document. The Management API stays on AUTH0_DOMAIN.
   */
  auth0SignIn(): Promise<SignIn>;
  /**
   * Secrets live only here, in memory, for this run: the Auth0 app's client secret and the OAuth
   * credential's secret. A resumed run re-reads them from their source.
   */
  secrets: Map<'auth0ClientSecret' | 'oauthCredentialSecret', string>;
}
