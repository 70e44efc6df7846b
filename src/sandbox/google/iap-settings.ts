// IAP settings (gcp-api.md 9.2-9.3): what updateIapSettings accepts, how a field mask applies,
// the input-only OAuth client secret (stored as its SHA-256, the plaintext kept aside for the
// sign-in emulation), and the inheritance the data path sees (effectiveIapSettings).
import { invalid } from '../core/errors.js';
import { copyPath } from './common.js';
import { sha256Hex, type IapSettingsRecord, type World } from '../world.js';
import type { IapResource } from './iap-resources.js';

type Json = Record<string, any>;

const TOP_FIELDS = ['name', 'accessSettings', 'applicationSettings'];
const ACCESS_FIELDS = [
  'gcipSettings',
  'corsSettings',
  'oauthSettings',
  'reauthSettings',
  'allowedDomainsSettings',
  'policyDelegationSettings',
  'workforceIdentitySettings',
  'identitySources',
];
const APPLICATION_FIELDS = ['csmSettings', 'accessDeniedPageSettings', 'cookieDomain', 'attributePropagationSettings'];
const IDENTITY_SOURCES = ['IDENTITY_SOURCE_UNSPECIFIED', 'WORKFORCE_IDENTITY_FEDERATION'];
const POOL_NAME = /^locations\/global\/workforcePools\/([a-z][a-z0-9-]{4,61}[a-z0-9])$/;

/** Paths (relative to IapSettings) of the input-only secrets. */
const WIF_SECRET = 'accessSettings.workforceIdentitySettings.oauth2.clientSecret';
const OAUTH_SECRET = 'accessSettings.oauthSettings.clientSecret';

const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);
const get = (o: Json | undefined, path: string): any =>
  path.split('.').reduce<any>((x, k) => (isObject(x) ? x[k] : undefined), o);

/** Google's JSON front end rejects names that are not fields of the message. */
function rejectUnknown(o: unknown, fields: string[], where: string): void {
  if (o === undefined) return;
  if (!isObject(o)) throw invalid(`Invalid value at '${where}': expected an object.`, where);
  for (const k of Object.keys(o)) {
    if (!fields.includes(k))
      throw invalid(
        `Invalid JSON payload received. Unknown name "${k}" at '${where}': Cannot find field.`,
        `${where}.${k}`,
      );
  }
}

/** The body with output-only fields (name, the secrets' SHA-256) dropped and unknown names rejected. */
export function settingsInput(body: unknown): Json {
  if (!isObject(body)) throw invalid('Invalid JSON payload received. Expected an IapSettings object.');
  rejectUnknown(body, TOP_FIELDS, 'iap_settings');
  rejectUnknown(body.accessSettings, ACCESS_FIELDS, 'iap_settings.access_settings');
  rejectUnknown(body.applicationSettings, APPLICATION_FIELDS, 'iap_settings.application_settings');
  const input: Json = {};
  if (body.accessSettings !== undefined) input.accessSettings = structuredClone(body.accessSettings);
  if (body.applicationSettings !== undefined) input.applicationSettings = structuredClone(body.applicationSettings);
  delete get(input, 'accessSettings.workforceIdentitySettings.oauth2')?.clientSecretSha256;
  delete get(input, 'accessSettings.oauthSettings')?.clientSecretSha256;
  return input;
}

/** Update-mask paths relative to IapSettings: each must start with "iapSettings." (gcp-api.md 1.4). */
export function settingsMask(mask: string[] | undefined): string[] | undefined {
  if (!mask || mask.length === 0) return undefined; // an empty mask is no mask
  return mask.map((p) => {
    if (p === 'iapSettings') return '';
    if (!p.startsWith('iapSettings.')) {
      throw invalid(
        `Invalid update_mask path "${p}": paths must start with "iapSettings.", e.g. ` +
          'iapSettings.accessSettings.reauthSettings.',
        'update_mask',
      );
    }
    const rest = p.slice('iapSettings.'.length);
    const top = rest.split('.')[0];
    if (top !== 'accessSettings' && top !== 'applicationSettings') {
      throw invalid(
        `Invalid update_mask path "${p}": only iapSettings.accessSettings and iapSettings.applicationSettings ` +
          'can be updated.',
        'update_mask',
      );
    }
    return rest;
  });
}

/** True when the update writes `path`: no mask, or a mask path equal to it or above it. */
const writes = (mask: string[] | undefined, path: string) =>
  !mask || mask.some((m) => m === '' || m === path || path.startsWith(m + '.'));
/** True when the update writes `path` or anything under it. */
const touches = (mask: string[] | undefined, path: string) =>
  writes(mask, path) || !!mask?.some((m) => m.startsWith(path + '.'));

function validate(world: World, res: IapResource, settings: Json, mask: string[] | undefined): void {
  if (touches(mask, 'accessSettings.identitySources')) {
    const sources = get(settings, 'accessSettings.identitySources');
    if (sources !== undefined) {
      if (!Array.isArray(sources))
        throw invalid(
          "Invalid value at 'iap_settings.access_settings.identity_sources': expected a list.",
          'iap_settings.access_settings.identity_sources',
        );
      sources.forEach((s, i) => {
        if (!IDENTITY_SOURCES.includes(s)) {
          throw invalid(
            `Invalid value at 'iap_settings.access_settings.identity_sources[${i}]' ` +
              `(type.googleapis.com/google.cloud.iap.v1.AccessSettings.IdentitySource), "${s}"`,
            'iap_settings.access_settings.identity_sources',
          );
        }
      });
      if (sources.length > 1)
        throw invalid('Only one identity source can be configured.', 'iap_settings.access_settings.identity_sources');
    }
  }
  if (touches(mask, 'accessSettings.workforceIdentitySettings.workforcePools')) {
    const pools = get(settings, 'accessSettings.workforceIdentitySettings.workforcePools');
    if (pools !== undefined) {
      const field = 'iap_settings.access_settings.workforce_identity_settings.workforce_pools';
      if (!Array.isArray(pools)) throw invalid(`Invalid value at '${field}': expected a list.`, field);
      if (pools.length > 1) throw invalid('Only one workforce pool is accepted.', field);
      for (const p of pools) {
        const id = POOL_NAME.exec(String(p))?.[1];
        if (!id)
          throw invalid(
            `Invalid workforce pool "${p}": use the pool resource name locations/global/workforcePools/{POOL_ID}.`,
            field,
          );
        const pool = world.pools.get(id);
        if (pool?.state !== 'ACTIVE') throw invalid(`Workforce pool ${p} does not exist or has been deleted.`, field);
        if (!res.organizationId) {
          throw invalid(
            `Workforce pool ${p} cannot be used by ${res.name}: the resource is not in an organization, and a ` +
              'workforce pool serves only resources in its own organization.',
            field,
          );
        }
        if (pool.parent !== `organizations/${res.organizationId}`) {
          throw invalid(
            `Workforce pool ${p} belongs to ${pool.parent}, not to organizations/${res.organizationId}, the ` +
              `organization of ${res.name}.`,
            field,
          );
        }
      }
    }
  }
}

/** Removes empty objects left behind by masked copies (e.g. clearing the only reauth setting). */
function prune(o: Json): Json {
  for (const [k, v] of Object.entries(o)) {
    if (isObject(v)) {
      prune(v);
      if (Object.keys(v).length === 0) delete o[k];
    }
  }
  return o;
}

/** Moves an input-only secret out of `settings`: SHA-256 next to it, plaintext returned. */
function takeSecret(settings: Json, path: string, write: boolean, previous: string | undefined): string | undefined {
  const parentPath = path.slice(0, path.lastIndexOf('.'));
  const holder = get(settings, parentPath);
  const secret: unknown = holder?.clientSecret;
  if (isObject(holder)) delete holder.clientSecret;
  if (!write) return previous; // untouched by the mask: hash and plaintext stay as they were
  if (typeof secret === 'string' && secret !== '') {
    holder.clientSecretSha256 = sha256Hex(secret);
    return secret;
  }
  // Written without a secret (full replace, or a mask covering it): the secret is cleared.
  if (isObject(holder)) delete holder.clientSecretSha256;
  return undefined;
}

/**
 * Applies an updateIapSettings call to the stored record. No mask replaces every setting at this
 * level (a body `{}` clears it, terraform's delete); a mask changes only its paths. Returns the
 * new record, or undefined when nothing is left at this level.
 */
export function applySettingsUpdate(
  world: World,
  res: IapResource,
  current: IapSettingsRecord | undefined,
  body: unknown,
  rawMask: string[] | undefined,
): IapSettingsRecord | undefined {
  const input = settingsInput(body);
  const mask = settingsMask(rawMask);
  let settings: Json;
  if (!mask) settings = input;
  else {
    settings = structuredClone(current?.settings ?? {});
    delete settings.name;
    for (const path of mask) {
      if (path === '') {
        for (const f of ['accessSettings', 'applicationSettings']) copyPath(settings, input, f);
      } else copyPath(settings, input, path);
    }
  }
  validate(world, res, settings, mask);
  const plain = takeSecret(settings, WIF_SECRET, writes(mask, WIF_SECRET), current?.oauth2SecretPlain);
  // The Google-identity custom OAuth secret is input-only too; the sandbox keeps only its hash.
  takeSecret(settings, OAUTH_SECRET, writes(mask, OAUTH_SECRET), undefined);
  prune(settings);
  if (Object.keys(settings).length === 0) return undefined;
  const record: IapSettingsRecord = { name: res.name, settings: { name: res.name, ...settings } };
  if (plain !== undefined && get(settings, 'accessSettings.workforceIdentitySettings.oauth2.clientSecretSha256'))
    record.oauth2SecretPlain = plain;
  return record;
}

/** What getIapSettings answers: the stored settings, or just the name when nothing is set. */
export function settingsView(record: IapSettingsRecord | undefined, name: string): Json {
  return record ? structuredClone({ ...record.settings, name }) : { name };
}

// ---------------------------------------------------------------------------------------------
// The data path's view.

export interface EffectiveIapSettings {
  /** Each AccessSettings field from the most specific level that sets it. */
  accessSettings: Json;
  /** Each ApplicationSettings field from the most specific level that sets it. */
  applicationSettings: Json;
  /**
   * The plaintext OAuth client secret written together with the chosen
   * accessSettings.workforceIdentitySettings (undefined when that level has none).
   */
  oauth2ClientSecret?: string;
  /** Which IAP resource name each field came from, e.g. {"accessSettings.identitySources": "projects/N"}. */
  sources: Record<string, string>;
}

/**
 * The IAP settings in force for the Cloud Run service `service` in `region` of project
 * `projectNumber`, as the front door applies them. Levels, most specific first:
 * projects/N/iap_web/cloud_run-R/services/S, projects/N/iap_web/cloud_run-R, projects/N/iap_web,
 * projects/N, then the project's folders (innermost first) and its organization. Fields inherit
 * downward one AccessSettings/ApplicationSettings field at a time (workforceIdentitySettings moves
 * as a unit, so its oauth2 client and secret always come from the same level).
 *
 * Only names built with the project NUMBER and `cloud_run-` are read: settings written under a
 * project ID or under `cloud-run-` are ignored, as real IAP ignores them (gcp-api.md 12.2-12.3).
 * Reads the settings as of one propagation delay ago (world.iapSettingsAsOf), changes nothing. Signature is stable
 * (used by frontdoor/).
 */
export function effectiveIapSettings(
  world: World,
  projectNumber: string,
  region: string,
  service: string,
): EffectiveIapSettings {
  const levels = [
    `projects/${projectNumber}/iap_web/cloud_run-${region}/services/${service}`,
    `projects/${projectNumber}/iap_web/cloud_run-${region}`,
    `projects/${projectNumber}/iap_web`,
    `projects/${projectNumber}`,
  ];
  const project = world.project(projectNumber);
  if (project?.projectNumber === projectNumber && project.parent) {
    let parent: string | undefined =
      `${project.parent.type === 'folder' ? 'folders' : 'organizations'}/${project.parent.id}`;
    while (parent) {
      levels.push(parent);
      parent = parent.startsWith('folders/') ? world.folders.get(parent.slice(8))?.parent : undefined;
    }
  }
  const out: EffectiveIapSettings = { accessSettings: {}, applicationSettings: {}, sources: {} };
  // Emulation `iapServiceSettings: ignored` (docs/SANDBOX.md): workforce fields set on the service
  // or its region never reach the data path, as if only project-level settings worked (open question).
  const ignored = (level: string, part: string, field: string) =>
    world.emulation.iapServiceSettings === 'ignored' &&
    level.includes('/iap_web/cloud_run-') &&
    part === 'accessSettings' &&
    (field === 'identitySources' || field === 'workforceIdentitySettings');
  for (const level of levels) {
    const record = world.iapSettingsAsOf(level, world.profile.iamPropagationMs);
    if (!record) continue;
    for (const part of ['accessSettings', 'applicationSettings'] as const) {
      const values = record.settings[part];
      if (!isObject(values)) continue;
      for (const [field, value] of Object.entries(values)) {
        if (field in out[part] || ignored(level, part, field)) continue;
        out[part][field] = structuredClone(value);
        out.sources[`${part}.${field}`] = level;
        if (
          part === 'accessSettings' &&
          field === 'workforceIdentitySettings' &&
          record.oauth2SecretPlain !== undefined &&
          get(value, 'oauth2.clientSecretSha256')
        ) {
          out.oauth2ClientSecret = record.oauth2SecretPlain;
        }
      }
    }
  }
  return out;
}
