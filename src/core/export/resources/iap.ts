// IAP's side: the IAM OAuth client and credential, the IAP settings at the scope the setup used
// (the service, or the whole project with --scope project) and who may pass. The OAuth client's
// redirect URI contains the client id Google generated, the chicken-and-egg that forces two applies
// when building from scratch; here the client exists, so the URI is written as it is. The
// credential's secret flows into the IAP settings inside Terraform, never as a literal; IAP never
// returns it (only its SHA-256), hence `ignore_changes`, as for the workforce provider.
import { attr, block, comment, expr, template, type Item } from '../hcl.js';
import { ADDR, adopted, keyed, lifecycle, ref, resource, unwritten, v, type ImportSpec, type Section } from '../tf.js';
import type { ExportInput, OauthClient, OauthCredential } from '../live.js';

export const ACCESSOR_ROLE = 'roles/iap.httpsResourceAccessor';
const SECRET_PATH = 'access_settings[0].workforce_identity_settings[0].oauth2[0].client_secret';

function oauthClientResource(c: OauthClient, id: string, isAdopted: boolean): Item[] {
  return [
    attr('oauth_client_id', id),
    attr('location', 'global'),
    attr('project', v('project')),
    attr('client_type', c.clientType ?? 'CONFIDENTIAL_CLIENT'),
    attr('allowed_grant_types', c.allowedGrantTypes ?? []),
    attr('allowed_scopes', c.allowedScopes ?? []),
    comment("IAP's redirect handler for the client id Google generated (google_iam_oauth_client.iap.client_id)."),
    attr('allowed_redirect_uris', c.allowedRedirectUris ?? []),
    ...(c.displayName ? [attr('display_name', c.displayName)] : []),
    ...(c.description ? [attr('description', c.description)] : []),
    ...(c.disabled ? [attr('disabled', true)] : []),
    ...lifecycle({ adopted: isAdopted }),
  ];
}

function credentialResource(c: OauthCredential, id: string, isAdopted: boolean): Item[] {
  return [
    attr('oauthclient', ref(ADDR.oauthClient, 'oauth_client_id')),
    attr('location', ref(ADDR.oauthClient, 'location')),
    attr('oauth_client_credential_id', id),
    attr('project', v('project')),
    ...(c.displayName ? [attr('display_name', c.displayName)] : []),
    ...(c.disabled ? [attr('disabled', true)] : []),
    ...lifecycle({ adopted: isAdopted }),
  ];
}

function settingsResource(project: boolean): Item[] {
  const number = ref(ADDR.project, 'number');
  const name = project
    ? template('projects/', number)
    : template('projects/', number, '/iap_web/cloud_run-', v('region'), '/services/', ref(ADDR.service, 'name'));
  return [
    attr('name', name),
    block(
      'access_settings',
      [],
      [
        attr('identity_sources', ['WORKFORCE_IDENTITY_FEDERATION']),
        block(
          'workforce_identity_settings',
          [],
          [
            attr('workforce_pools', [ref(ADDR.pool, 'name')]),
            block(
              'oauth2',
              [],
              [
                attr('client_id', ref(ADDR.oauthClient, 'client_id')),
                attr('client_secret', ref(ADDR.credential, 'client_secret')),
              ],
            ),
          ],
        ),
      ],
    ),
    ...lifecycle({ ignore: [SECRET_PATH] }),
  ];
}

/** The accessor members, one resource per member of var.allowed_members. */
function accessResource(project: boolean): { address: string; body: Item[] } {
  const number = ref(ADDR.project, 'number');
  const common = [attr('for_each', expr('toset(var.allowed_members)')), attr('role', ACCESSOR_ROLE)];
  if (project)
    return {
      address: 'google_iap_web_iam_member.access',
      body: [...common, attr('project', number), attr('member', expr('each.value'))],
    };
  return {
    address: 'google_iap_web_cloud_run_service_iam_member.access',
    body: [
      ...common,
      attr('project', number),
      attr('location', v('region')),
      attr('cloud_run_service_name', ref(ADDR.service, 'name')),
      attr('member', expr('each.value')),
    ],
  };
}

const SETTINGS_WRITTEN = ['identitySources', 'workforceIdentitySettings'];

export function iapSection(x: ExportInput): Section {
  const { state, live } = x;
  const project = state.inputs.scope === 'project';
  const oc = state.stages['oauth-client']?.resources ?? {};
  const settingsName = state.stages['iap-settings']?.resources.iapResource ?? '';
  const access = state.stages.access;
  const members = access?.added ?? [];
  const a = accessResource(project);
  const imports: ImportSpec[] = [
    { to: ADDR.oauthClient, id: oc.oauthClient },
    { to: ADDR.credential, id: oc.credential },
    { to: ADDR.settings, id: settingsName },
    ...members.map((m) => ({ to: keyed(a.address, m), id: `${access?.resources.iapResource} ${ACCESSOR_ROLE} ${m}` })),
  ];
  const notes = [
    ...unwritten(live.iapSettings.accessSettings, SETTINGS_WRITTEN, `IAP settings of ${settingsName}`),
    ...unwritten(live.iapSettings, ['name', 'accessSettings'], `IAP settings of ${settingsName}`),
  ];
  return {
    file: 'iap.tf',
    items: [
      resource(
        ADDR.oauthClient,
        oauthClientResource(live.oauthClient, state.inputs.oauthClient, adopted(state, 'oauth-client', 'oauthClient')),
      ),
      resource(
        ADDR.credential,
        credentialResource(
          live.credential,
          oc.credential.split('/').pop() ?? '',
          adopted(state, 'oauth-client', 'credential'),
        ),
      ),
      resource(ADDR.settings, settingsResource(project)),
      resource(a.address, a.body),
    ],
    imports,
    notes,
  };
}
