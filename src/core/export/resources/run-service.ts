// google_cloud_run_v2_service: what the live service holds that Terraform would otherwise propose
// to change. IAP is on with the GA provider (`iap_enabled`, google >= 7.21.0; the seed write-up
// needed google-beta and launch_stage BETA because it predates that). Left out on purpose:
// `labels` and `annotations` (non-authoritative in the provider: after an import Terraform manages
// none of them and removes none, so the iap-auth0 markers stay), `launch_stage`, `scaling`,
// `traffic`, `timeout`, ports, resources and the startup probe (optional and computed: Terraform
// keeps what the API says), and `deletion_protection` (true after an import, the provider's default).
import { attr, block, obj, type Item, type Value } from '../hcl.js';
import { ADDR, present, ref, unwritten, v, type VariableSpec } from '../tf.js';
import type { RunContainer, RunService } from '../live.js';

/** An env name whose value is likely a secret: written as a sensitive variable without a default. */
const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|API_?KEY/i;

const TOP_WRITTEN = ['description', 'ingress', 'iapEnabled', 'invokerIamDisabled', 'client', 'clientVersion'];
const TOP_WRITTEN_2 = ['customAudiences', 'defaultUriDisabled', 'template'];
/** Read-only, optional-and-computed, or non-authoritative: Terraform proposes no change for these. */
const TOP_LEFT = [
  'name',
  'uid',
  'generation',
  'labels',
  'annotations',
  'createTime',
  'updateTime',
  'deleteTime',
  'expireTime',
  'creator',
  'lastModifier',
  'launchStage',
  'scaling',
  'traffic',
  'observedGeneration',
  'terminalCondition',
  'conditions',
  'latestReadyRevision',
  'latestCreatedRevision',
  'trafficStatuses',
  'uri',
  'urls',
  'reconciling',
  'etag',
  'satisfiesPzs',
  'threatDetectionEnabled',
];
const TEMPLATE_WRITTEN = ['serviceAccount', 'containers', 'labels', 'annotations', 'revision', 'executionEnvironment'];
const TEMPLATE_WRITTEN_2 = ['encryptionKey', 'sessionAffinity', 'healthCheckDisabled', 'gpuZonalRedundancyDisabled'];
const TEMPLATE_LEFT = ['timeout', 'scaling', 'maxInstanceRequestConcurrency'];
const CONTAINER_WRITTEN = ['name', 'image', 'command', 'args', 'workingDir', 'env', 'dependsOn'];
const CONTAINER_LEFT = ['resources', 'ports', 'startupProbe', 'buildInfo'];

const envVariable = (name: string) => `env_${name.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;

/** The env blocks of a container; a secret-looking plain value becomes a sensitive variable. */
function envBlocks(c: RunContainer, variables: VariableSpec[]): Item[] {
  return (c.env ?? []).map((e) => {
    const secretRef = e.valueSource?.secretKeyRef;
    if (secretRef) {
      const ref = [
        attr('secret', secretRef.secret ?? ''),
        ...(secretRef.version ? [attr('version', secretRef.version)] : []),
      ];
      return block(
        'env',
        [],
        [attr('name', e.name ?? ''), block('value_source', [], [block('secret_key_ref', [], ref)])],
      );
    }
    let value: Value = e.value ?? '';
    if (e.name && SECRET_NAME.test(e.name) && e.value) {
      const name = envVariable(e.name);
      variables.push({ name, type: 'string', description: `The value of ${e.name} on the service`, sensitive: true });
      value = v(name);
    }
    return block('env', [], [attr('name', e.name ?? ''), ...(e.value ? [attr('value', value)] : [])]);
  });
}

function containerBlock(c: RunContainer, first: boolean, variables: VariableSpec[], notes: string[]): Item {
  notes.push(...unwritten(c, [...CONTAINER_WRITTEN, ...CONTAINER_LEFT], `container ${c.name ?? '(unnamed)'}`));
  const list = (name: string, xs: string[] | null | undefined) => (xs?.length ? [attr(name, xs)] : []);
  return block(
    'containers',
    [],
    [
      ...(c.name ? [attr('name', c.name)] : []),
      // The first container's image is the one iap-auth0 --image deploys: a variable.
      attr('image', first ? v('image') : (c.image ?? '')),
      ...list('command', c.command),
      ...list('args', c.args),
      ...(c.workingDir ? [attr('working_dir', c.workingDir)] : []),
      ...list('depends_on', c.dependsOn),
      ...envBlocks(c, variables),
    ],
  );
}

function templateBlock(s: RunService, ownAccount: boolean, variables: VariableSpec[], notes: string[]): Item {
  const t = s.template ?? {};
  notes.push(...unwritten(t, [...TEMPLATE_WRITTEN, ...TEMPLATE_WRITTEN_2, ...TEMPLATE_LEFT], 'Cloud Run template'));
  const optional: [string, unknown][] = [
    ['revision', t.revision],
    ['execution_environment', t.executionEnvironment],
    ['encryption_key', t.encryptionKey],
    ['session_affinity', t.sessionAffinity],
    ['health_check_disabled', t.healthCheckDisabled],
    ['gpu_zonal_redundancy_disabled', t.gpuZonalRedundancyDisabled],
    ['labels', t.labels],
    ['annotations', t.annotations],
  ];
  return block(
    'template',
    [],
    [
      ...(t.serviceAccount
        ? [attr('service_account', ownAccount ? ref(ADDR.account, 'email') : t.serviceAccount)]
        : []),
      ...optional.filter(([, val]) => present(val)).map(([k, val]) => attr(k, mapOrScalar(val))),
      ...(t.containers ?? []).map((c, i) => containerBlock(c, i === 0, variables, notes)),
    ],
  );
}

const mapOrScalar = (val: unknown): Value =>
  typeof val === 'object' && val !== null && !Array.isArray(val) ? obj(val as Record<string, Value>) : (val as Value);

/** The service resource; `ownAccount`: the runtime account is this setup's (then referenced). */
export function serviceResource(
  s: RunService,
  ownAccount: boolean,
  variables: VariableSpec[],
  notes: string[],
): Item[] {
  notes.push(...unwritten(s, [...TOP_WRITTEN, ...TOP_WRITTEN_2, ...TOP_LEFT], 'Cloud Run service'));
  const optional: [string, Value | null | undefined][] = [
    ['description', s.description],
    ['client', s.client],
    ['client_version', s.clientVersion],
    ['custom_audiences', s.customAudiences],
    ['default_uri_disabled', s.defaultUriDisabled],
  ];
  return [
    attr('name', v('service')),
    attr('location', v('region')),
    attr('project', v('project')),
    ...optional.filter(([, val]) => present(val)).map(([k, val]) => attr(k, val as Value)),
    attr('ingress', s.ingress ?? 'INGRESS_TRAFFIC_ALL'),
    attr('iap_enabled', true),
    attr('invoker_iam_disabled', false),
    templateBlock(s, ownAccount, variables, notes),
  ];
}
