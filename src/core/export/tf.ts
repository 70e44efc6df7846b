// Terraform's shapes on top of the HCL writer: resources, import blocks, variables, and the
// Section every builder returns (its file's items, its imports, its variables and what it could
// not write). Addresses are named once here so builders can refer to each other's resources.
import { attr, block, expr, type Item, type Value } from './hcl.js';
import type { ExportInput } from './live.js';
import type { StageId } from '../../state/schema.js';

export interface ImportSpec {
  /** The resource address, e.g. `google_iam_workforce_pool.pool` or `x.y["key"]`. */
  to: string;
  /** The import id, literal, in a format the provider's documentation gives. */
  id: string;
}

export interface VariableSpec {
  name: string;
  type: string;
  description: string;
  /** The current value; none for a sensitive value the export must not write. */
  default?: Value;
  sensitive?: boolean;
}

export interface Section {
  /** The .tf file the items go to. */
  file: string;
  items: Item[];
  imports: ImportSpec[];
  variables?: VariableSpec[];
  /** Live settings this section does not write (`terraform plan` would propose to change them): for the README. */
  notes: string[];
}

/** The resources' addresses. */
export const ADDR = {
  project: 'data.google_project.this',
  apis: 'google_project_service.apis',
  account: 'google_service_account.runtime',
  service: 'google_cloud_run_v2_service.app',
  invoker: 'google_cloud_run_v2_service_iam_member.iap_invoker',
  pool: 'google_iam_workforce_pool.pool',
  provider: 'google_iam_workforce_pool_provider.auth0',
  oauthClient: 'google_iam_oauth_client.iap',
  credential: 'google_iam_oauth_client_credential.iap',
  settings: 'google_iap_settings.iap',
  auth0App: 'auth0_client.app',
  auth0Credentials: 'auth0_client_credentials.app',
  action: 'auth0_action.groups_claim',
  triggerAction: 'auth0_trigger_action.groups_claim',
} as const;

/** `resource "TYPE" "NAME" { … }` for an address `TYPE.NAME`. */
export function resource(address: string, body: Item[]): Item {
  const [type, name] = address.split('.');
  return block('resource', [type, name], body);
}

/** An element of a `for_each` resource: `ADDR["key"]`. */
export const keyed = (address: string, key: string) => `${address}[${JSON.stringify(key)}]`;

export const ref = (address: string, attribute: string) => expr(`${address}.${attribute}`);
export const v = (name: string) => expr(`var.${name}`);

/**
 * A `lifecycle` block, or nothing. `ignore`: the input-only secrets the APIs never return (after an import Terraform
 * does not know them, and without this every plan would propose to send them again). `adopted`: a resource this
 * setup did not create (someone's own service, another setup's pool): `prevent_destroy`, as iap-auth0 never deletes
 * one either.
 */
export function lifecycle(o: { ignore?: string[]; adopted?: boolean }): Item[] {
  const body = [
    ...(o.adopted ? [attr('prevent_destroy', true)] : []),
    ...(o.ignore?.length ? [attr('ignore_changes', o.ignore.map(expr))] : []),
  ];
  return body.length ? [block('lifecycle', [], body)] : [];
}

/** Whether the state records `key` of `stage` as adopted rather than created. */
export const adopted = (state: ExportInput['state'], stage: StageId, key: string) =>
  !!state.stages[stage]?.adopted?.includes(key);

export function importBlock(i: ImportSpec): Item {
  return block('import', [], [attr('to', expr(i.to)), attr('id', i.id)]);
}

export function variableBlock(s: VariableSpec): Item {
  return block(
    'variable',
    [s.name],
    [
      attr('type', expr(s.type)),
      attr('description', s.description),
      ...(s.default !== undefined ? [attr('default', s.default)] : []),
      ...(s.sensitive ? [attr('sensitive', true)] : []),
    ],
  );
}

/** Notes for the keys of `o` that hold a value and that the builder neither writes nor may leave out. */
export function unwritten(o: object | undefined, handled: readonly string[], where: string): string[] {
  if (!o) return [];
  return Object.entries(o)
    .filter(([k, val]) => !handled.includes(k) && present(val))
    .map(([k]) => `${where}: \`${k}\` is set and not written`);
}

/** A value worth writing: not null, not empty, not false. */
export function present(val: unknown): boolean {
  if (val === null || val === undefined || val === false || val === '') return false;
  if (Array.isArray(val)) return val.length > 0;
  if (typeof val === 'object') return Object.keys(val).length > 0;
  return true;
}
