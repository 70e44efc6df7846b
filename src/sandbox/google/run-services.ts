// The Cloud Run v2 `Service` model (gcp-api.md 5.1-5.6): which fields a caller may set, the checks
// Cloud Run applies to them, and the read-only fields it fills while it reconciles. Pure functions
// over the wire JSON; run.ts wires them to HTTP and operations.
import { randomBytes } from 'node:crypto';
import { GoogleError, errorInfo, invalid, badRequest } from '../core/errors.js';
import type { ApiRequest } from '../core/http.js';
import { runServiceId, region as regionRule } from '../facts/id-rules.js';
import type { Project, RunService, World } from '../world.js';
import { accountSettling } from './consistency.js';

export type Json = Record<string, any>;

export const SERVICE_TYPE = 'type.googleapis.com/google.cloud.run.v2.Service';

/** Fields of GoogleCloudRunV2Service a caller sets (the desired state). */
export const SPEC_FIELDS = [
  'description',
  'labels',
  'annotations',
  'client',
  'clientVersion',
  'ingress',
  'launchStage',
  'binaryAuthorization',
  'template',
  'traffic',
  'scaling',
  'invokerIamDisabled',
  'defaultUriDisabled',
  'customAudiences',
  'iapEnabled',
  'buildConfig',
  'multiRegionSettings',
  'durableExecution',
  'sshEnabled',
] as const;

/** Read-only fields: accepted in a body (a GET fed back to PATCH carries them) and ignored. */
const OUTPUT_FIELDS = new Set([
  'name',
  'uid',
  'generation',
  'observedGeneration',
  'createTime',
  'updateTime',
  'deleteTime',
  'expireTime',
  'creator',
  'lastModifier',
  'terminalCondition',
  'conditions',
  'latestReadyRevision',
  'latestCreatedRevision',
  'trafficStatuses',
  'uri',
  'urls',
  'satisfiesPzs',
  'threatDetectionEnabled',
  'reconciling',
  'etag',
]);

const INGRESS = [
  'INGRESS_TRAFFIC_UNSPECIFIED',
  'INGRESS_TRAFFIC_ALL',
  'INGRESS_TRAFFIC_INTERNAL_ONLY',
  'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
  'INGRESS_TRAFFIC_NONE',
];
const LAUNCH_STAGES = [
  'LAUNCH_STAGE_UNSPECIFIED',
  'UNIMPLEMENTED',
  'PRELAUNCH',
  'EARLY_ACCESS',
  'ALPHA',
  'BETA',
  'GA',
  'DEPRECATED',
];
const RESERVED_PREFIXES = [
  'run.googleapis.com/',
  'cloud.googleapis.com/',
  'serving.knative.dev/',
  'autoscaling.knative.dev/',
];

// [host[:port]/]path[:tag][@sha256:digest], the Docker reference grammar Cloud Run accepts.
const IMAGE_HOST = String.raw`(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?\/)?`;
const IMAGE_PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_TAG = '(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?';
const IMAGE_DIGEST = '(?:@sha256:[a-f0-9]{64})?';
const IMAGE_RE = new RegExp(
  String.raw`^${IMAGE_HOST}${IMAGE_PATH_COMPONENT}(?:\/${IMAGE_PATH_COMPONENT})*${IMAGE_TAG}${IMAGE_DIGEST}$`,
);

/** The key of world.runServices and the Cloud Run IAM policy key for a service. */
export const serviceKey = (projectNumber: string, region: string, serviceId: string) =>
  `${projectNumber}/${region}/${serviceId}`;
export const policyKey = (projectNumber: string, region: string, serviceId: string) =>
  `run:projects/${projectNumber}/locations/${region}/services/${serviceId}`;

/** The address Cloud Run always serves besides the hashed one (gcp-api.md 5.2 "URL shapes"). */
export const deterministicUrl = (serviceId: string, projectNumber: string, region: string) =>
  `https://${serviceId}-${projectNumber}.${region}.run.app`;

export const defaultServiceAccount = (projectNumber: string) =>
  `${projectNumber}-compute@developer.gserviceaccount.com`;

export function notFoundService(serviceId: string, region: string, projectRef: string): GoogleError {
  return new GoogleError(
    'NOT_FOUND',
    `Resource '${serviceId}' of kind 'SERVICE' in region '${region}' in project '${projectRef}' does not exist.`,
  );
}

/** serviceId and region checks of create (and of PATCH ?allowMissing, which creates). */
export function checkIds(serviceId: string | null, region: string): string {
  const bad = regionRule(region);
  if (bad) throw invalid(`Invalid location '${region}': ${bad}.`, 'parent');
  if (!serviceId) throw invalid('service_id must be set.', 'service_id');
  const why = runServiceId(serviceId);
  // Google's own wording for the rule, then ours (which says the same with the offending value).
  if (why)
    throw invalid(
      `service_id: must begin with letter, and cannot end with hyphen; must contain fewer than 50 characters. ${why}.`,
      'service_id',
    );
  return serviceId;
}

/** Rejects names that are not Service fields, as Google's JSON front end does. */
function rejectUnknown(body: Json): void {
  for (const k of Object.keys(body)) {
    if (!(SPEC_FIELDS as readonly string[]).includes(k) && !OUTPUT_FIELDS.has(k)) {
      throw invalid(`Invalid JSON payload received. Unknown name "${k}": Cannot find field.`, k);
    }
  }
}

/** The desired-state part of a body, output-only fields dropped. */
export function specOf(body: Json): Json {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw invalid('Invalid JSON payload received. Expected an object.');
  rejectUnknown(body);
  const spec: Json = {};
  for (const f of SPEC_FIELDS) if (body[f] !== undefined && body[f] !== null) spec[f] = structuredClone(body[f]);
  return spec;
}

function checkMap(where: string, map: unknown): void {
  if (map === undefined) return;
  if (map === null || typeof map !== 'object' || Array.isArray(map))
    throw invalid(`${where} must be a map of strings.`, where);
  for (const [k, v] of Object.entries(map)) {
    if (RESERVED_PREFIXES.some((p) => k.startsWith(p))) {
      // Cloud Run v2 rejects system annotations/labels: every v1 annotation has a v2 field.
      throw invalid(
        `${where}: Cloud Run API v2 does not support labels or annotations with the run.googleapis.com, ` +
          `cloud.googleapis.com, serving.knative.dev, or autoscaling.knative.dev namespaces; "${k}" is not ` +
          'allowed. Use the corresponding v2 field instead.',
        where,
      );
    }
    if (typeof v !== 'string') throw invalid(`${where}["${k}"] must be a string.`, where);
  }
}

/**
 * Google Cloud's label rules, which Cloud Run applies ("Only valid Google Cloud labels can be used
 * on Cloud Run"): at most 64 labels; keys 1-63 characters, starting with a lowercase letter or an
 * international character; keys and values only lowercase letters, digits, `_` and `-`
 * (international characters allowed); values 0-63 characters. "International character" is read as
 * Bigtable's published form of the same rule: Unicode lowercase letters (Ll) and letters without
 * case (Lo) stand for letters, Unicode digits (N) for digits. Lengths count characters (code
 * points). Sources and confidence: docs/SANDBOX.md ("Cloud Run labels").
 */
export const MAX_LABELS = 64;
const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;
/** Cloud Run's documented limit on Service.description ("currently has a 512-character limit"). */
export const MAX_DESCRIPTION = 512;

/** Rejects labels that break the rules above, with Cloud Run's own wording where it is on record. */
function checkLabels(where: string, map: Json | undefined): void {
  if (map === undefined) return;
  const field = where.replace(/^service\./, '');
  const entries = Object.entries(map);
  if (entries.length > MAX_LABELS) {
    // Assumption: the 64-label limit is Google's; the wording of this refusal is not on record.
    throw invalid(`${field}: A resource can have at most ${MAX_LABELS} labels; ${entries.length} were given.`, where);
  }
  const conform = `${field}: At least one label does not conform to GCP naming style.`;
  for (const [k, v] of entries) {
    if (!LABEL_KEY.test(k)) {
      throw invalid(
        `${conform} Label key '${k}' violates format constraints. The key must start with a lowercase ` +
          'character, can only contain lowercase letters, numeric characters, underscores and dashes. The key ' +
          'can be at most 63 characters long. International characters are allowed.',
        where,
      );
    }
    if (!LABEL_VALUE.test(v as string)) {
      throw invalid(
        `${conform} Label value '${v}' violates format constraints. The value can only contain lowercase ` +
          'letters, numeric characters, underscores and dashes. The value can be at most 63 characters long. ' +
          'International characters are allowed.',
        where,
      );
    }
  }
}

function checkDescription(description: unknown): void {
  if (description === undefined) return;
  if (typeof description !== 'string')
    throw invalid(
      `Invalid value at 'service.description' (TYPE_STRING), ${JSON.stringify(description)}`,
      'service.description',
    );
  const length = [...description].length;
  // Assumption: the limit is documented; the wording of this refusal is not on record.
  if (length > MAX_DESCRIPTION)
    throw invalid(
      `description: must be at most ${MAX_DESCRIPTION} characters long; it has ${length}.`,
      'service.description',
    );
}

/**
 * Every check Cloud Run makes on the desired state before it accepts create or patch. Fills the
 * defaults Cloud Run fills (ingress, runtime service account, 100% traffic to latest).
 */
export function validateSpec(world: World, req: ApiRequest, project: Project, serviceId: string, spec: Json): Json {
  if (spec.ingress !== undefined && !INGRESS.includes(spec.ingress)) {
    throw invalid(
      `Invalid value at 'service.ingress' (type.googleapis.com/google.cloud.run.v2.IngressTraffic), "${spec.ingress}"`,
      'service.ingress',
    );
  }
  if (spec.launchStage !== undefined && !LAUNCH_STAGES.includes(spec.launchStage)) {
    throw invalid(
      `Invalid value at 'service.launch_stage' (type.googleapis.com/google.api.LaunchStage), "${spec.launchStage}"`,
      'service.launch_stage',
    );
  }
  for (const f of ['iapEnabled', 'invokerIamDisabled', 'defaultUriDisabled'] as const) {
    if (spec[f] !== undefined && typeof spec[f] !== 'boolean')
      throw invalid(`Invalid value at 'service.${f}' (TYPE_BOOL), "${spec[f]}"`, `service.${f}`);
  }
  checkDescription(spec.description);
  checkMap('service.labels', spec.labels);
  checkLabels('service.labels', spec.labels);
  checkMap('service.annotations', spec.annotations);
  const t = spec.template;
  if (!t || typeof t !== 'object') throw invalid('service.template: required field is not set.', 'service.template');
  checkMap('service.template.labels', t.labels);
  // Assumption: revision-template labels follow the same rules (they are the labels billing reads).
  checkLabels('service.template.labels', t.labels);
  checkMap('service.template.annotations', t.annotations);
  if (!Array.isArray(t.containers) || t.containers.length === 0) {
    throw invalid(
      'service.template.containers: at least one container must be specified.',
      'service.template.containers',
    );
  }
  t.containers.forEach((c: Json, i: number) => {
    const field = `service.template.containers[${i}].image`;
    if (!c || typeof c.image !== 'string' || c.image === '')
      throw invalid(`${field}: required field is not set.`, field);
    if (!IMAGE_RE.test(c.image) || c.image.length > 4096) {
      throw invalid(
        `${field}: Invalid image reference "${c.image}". Expected [HOST/]PATH[:TAG][@sha256:DIGEST], e.g. ` +
          'us-docker.pkg.dev/cloudrun/container/hello.',
        field,
      );
    }
  });
  if (t.revision !== undefined && (typeof t.revision !== 'string' || !t.revision.startsWith(`${serviceId}-`))) {
    throw invalid(
      `service.template.revision: Revision name must use the service name as prefix ("${serviceId}-").`,
      'service.template.revision',
    );
  }
  const sa: string = t.serviceAccount ?? defaultServiceAccount(project.projectNumber);
  // The compute default account exists in every real project; any other must be a known account.
  // A new account cannot be run as until it has settled; Cloud Run then answers exactly as for a
  // missing one (docs/SANDBOX.md "Eventual consistency after a create").
  const known =
    sa === defaultServiceAccount(project.projectNumber) ||
    (world.serviceAccounts.has(sa) && !accountSettling(world, sa));
  if (
    !known ||
    req.principal?.deniedPermissions.has('iam.serviceaccounts.actAs') ||
    req.principal?.deniedPermissions.has('iam.serviceAccounts.actAs')
  ) {
    throw new GoogleError(
      'PERMISSION_DENIED',
      `Permission 'iam.serviceaccounts.actAs' denied on service account ${sa} (or it may not exist).`,
      [
        errorInfo('IAM_PERMISSION_DENIED', 'iam.googleapis.com', {
          permission: 'iam.serviceaccounts.actAs',
          resource: `projects/-/serviceAccounts/${sa}`,
        }),
        badRequest('service.template.service_account', `${sa} cannot be used`),
      ],
    );
  }
  t.serviceAccount = sa;
  spec.ingress ??= 'INGRESS_TRAFFIC_ALL';
  spec.traffic ??= [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }];
  return spec;
}

/**
 * The launch stage read back: the lowest stage the features in use need. The sandbox models no
 * preview-only feature (iapEnabled went GA in 2026, gcp-api.md 5.8), so that is GA even when BETA
 * was sent.
 */
export function outputLaunchStage(_spec: Json): string {
  return 'GA';
}

export const newEtag = () => randomBytes(18).toString('base64url');

/** Revision ids look like hello-00001-abc: service, 5-digit sequence, 3 random letters. */
export function revisionId(serviceId: string, seq: number): string {
  const letters = Array.from(randomBytes(3), (b) => String.fromCharCode(97 + (b % 26))).join('');
  return `${serviceId}-${String(seq).padStart(5, '0')}-${letters}`;
}

/** Sequence number of a revision id (0 when none). */
export function revisionSeq(revisionName: string | undefined): number {
  const m = /-(\d{5})-[a-z0-9]+$/.exec(revisionName ?? '');
  return m ? Number(m[1]) : 0;
}

/** A service resource name, in the project form (id or number) the caller used. */
export function serviceName(projectRef: string, region: string, serviceId: string) {
  return `projects/${projectRef}/locations/${region}/services/${serviceId}`;
}

/** Puts a service into "Cloud Run is working on it" (create or a spec change). */
export function markReconciling(world: World, r: Json): void {
  const at = world.clock.iso();
  r.reconciling = true;
  r.terminalCondition = { type: 'Ready', state: 'CONDITION_RECONCILING', lastTransitionTime: at };
  r.conditions = [
    { type: 'RoutesReady', state: 'CONDITION_RECONCILING', lastTransitionTime: at },
    { type: 'ConfigurationsReady', state: 'CONDITION_RECONCILING', lastTransitionTime: at },
  ];
}

/** Puts a service into the Ready state of gcp-api.md 5.3 (successful condition carries no reason). */
export function markReady(world: World, svc: RunService, uri: string | undefined): void {
  const r = svc.resource;
  const at = world.clock.iso();
  r.reconciling = false;
  r.observedGeneration = r.generation;
  r.terminalCondition = { type: 'Ready', state: 'CONDITION_SUCCEEDED', lastTransitionTime: at };
  r.conditions = [
    { type: 'RoutesReady', state: 'CONDITION_SUCCEEDED', lastTransitionTime: at },
    { type: 'ConfigurationsReady', state: 'CONDITION_SUCCEEDED', lastTransitionTime: at },
  ];
  if (r.latestCreatedRevision) r.latestReadyRevision = r.latestCreatedRevision;
  r.trafficStatuses = ((r.traffic as Json[]) ?? []).map((t) => {
    const s: Json = { type: t.type ?? 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST' };
    if (t.revision) s.revision = t.revision;
    if (t.percent !== undefined) s.percent = t.percent;
    if (t.tag) s.tag = t.tag;
    return s;
  });
  if (r.defaultUriDisabled) {
    // Assumption: with the default URL disabled Cloud Run reports no run.app address at all.
    delete r.uri;
    delete r.urls;
  } else if (uri) {
    r.uri = uri;
    r.urls = [...new Set([uri, deterministicUrl(svc.serviceId, svc.projectNumber, svc.region)])];
  }
}

/** Output form of a service (a copy, so later changes do not leak into stored operations). */
export const wire = (svc: RunService): Json => structuredClone(svc.resource);

/** Operation name in the project form the caller used. */
export const operationName = (world: World, projectRef: string, region: string) =>
  `projects/${projectRef}/locations/${region}/operations/${world.newUuid()}`;

export function principalEmail(req: ApiRequest): string {
  return (req.principal?.principal ?? 'user:developer@sandbox.example').replace(/^[a-zA-Z]+:/, '');
}
