// What the export reads live, besides the state file: the values a configuration must repeat
// exactly for `terraform plan` to propose no change (the image deployed since, the attribute
// mapping, descriptions, the Auth0 app's lists). Secrets are dropped as each resource is read
// (read-live.ts), so nothing here can carry one into a file.
import type { run_v2 } from '@googleapis/run';
import type { iam_v1 } from '@googleapis/iam';
import type { IapSettings, IamPolicy } from '../../google/iap-client.js';
import type { State } from '../../state/schema.js';

export type RunService = run_v2.Schema$GoogleCloudRunV2Service;
export type RunContainer = run_v2.Schema$GoogleCloudRunV2Container;
export type ServiceAccount = iam_v1.Schema$ServiceAccount;
export type Pool = iam_v1.Schema$WorkforcePool;
export type Provider = iam_v1.Schema$WorkforcePoolProvider;
export type OauthClient = iam_v1.Schema$OauthClient;
/** The credential without its clientSecret. */
export type OauthCredential = Omit<iam_v1.Schema$OauthClientCredential, 'clientSecret'>;
/** The Auth0 application as the Management API returns it, without client_secret and signing_keys. */
export type Auth0Client = Record<string, unknown> & { client_id?: string; name?: string };

export interface Live {
  service: RunService;
  /** The runtime account this setup created (absent for an adopted service). */
  serviceAccount?: ServiceAccount;
  /** Of the APIs init enables, those enabled now. */
  enabledApis: string[];
  pool: Pool;
  provider: Provider;
  oauthClient: OauthClient;
  credential: OauthCredential;
  iapSettings: IapSettings;
  /** Who may invoke the Cloud Run service (the IAP agent's grant is imported). */
  invokerPolicy: IamPolicy;
  /** The IAP access policy (on the service, or on projects/N/iap_web with --scope project). */
  accessPolicy: IamPolicy;
  auth0Client: Auth0Client;
  /** The post-login Action iap-auth0 manages (--allow role:/group:), when the state records one. */
  action?: Auth0Action;
  /** Whether the post-login trigger binds that Action (undefined when the state records none). */
  actionBound?: boolean;
}

/** An Auth0 Action as the Management API returns it (it holds no secret of iap-auth0's). */
export interface Auth0Action {
  id: string;
  name: string;
  code: string;
  runtime?: string;
  supported_triggers: { id: string; version: string }[];
}

/** The state file and the live values: everything a builder reads. */
export interface ExportInput {
  state: State;
  live: Live;
}
