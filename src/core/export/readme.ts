// The README written into the folder: how to take over with Terraform, how to hand back to
// iap-auth0, and what the configuration does not cover (fixed limits, then what this setup's live
// resources hold that is not written).
import { PROVIDERS, TERRAFORM_VERSION } from './versions.js';
import type { ImportSpec } from './tf.js';
import type { ExportInput } from './live.js';

const FIXED_LIMITS = [
  '**The IAP service agent** (`service-PROJECT_NUMBER@gcp-sa-iap.iam.gserviceaccount.com`). ' +
    "iap-auth0 had Google generate it; Google keeps it. The provider's " +
    '`google_project_service_identity` is google-beta only and cannot be imported, so it is not ' +
    'written. In a new project, generate it once with `gcloud beta services identity create ' +
    '--service=iap.googleapis.com --project PROJECT`.',
  "**The Cloud Run service's labels and annotations**, iap-auth0's markers among them " +
    '(`managed-by`, `iap-auth0-setup`, `iap-auth0-shared`). The provider manages only the labels a ' +
    'configuration lists, and after an import it lists none: they stay as they are, and `iap-auth0` ' +
    'can still find its resources (see Hand back).',
  '**No public invoker.** iap-auth0 removes `allUsers` and `allAuthenticatedUsers` from ' +
    '`roles/run.invoker` and `verify` checks it. Terraform manages only the grant written here; it ' +
    'does not stop someone adding a public one.',
  '**The Auth0 side beyond the application**: the machine-to-machine app Terraform and iap-auth0 ' +
    'use, the connections enabled for the application, and tenant settings.',
  '**Propagation and checks.** IAM changes take 2 to 7 minutes to reach IAP; `iap-auth0 verify ' +
    '--wait` still works (it only reads) as long as you keep the state file.',
  '**Soft-deleted ids.** `terraform destroy` soft-deletes the workforce pool, its provider and the ' +
    'OAuth client: for 30 days their ids cannot be used again, and an `apply` recreating them fails ' +
    'with a conflict. Undelete them (`gcloud iam workforce-pools undelete`, `gcloud iam oauth-clients ' +
    'undelete`) and import again, or choose new ids. (`iap-auth0 init` undeletes on its own.)',
  '**Building from scratch.** `allowed_redirect_uris` names the client id Google generated for this ' +
    'OAuth client. A new client gets a new id, so a configuration that creates one needs a second ' +
    'apply with its `client_id` in the URI.',
  '**Destroying the IAP settings** (`terraform destroy`) clears every IAP setting at that level, ' +
    'not only the ones written here.',
];

function resourcesTable(imports: ImportSpec[]): string[] {
  return ['| resource | import id |', '|---|---|', ...imports.map((i) => `| \`${i.to}\` | \`${i.id}\` |`)];
}

/** The resources the setup adopted: they carry prevent_destroy, as iap-auth0 never deletes them either. */
function adoptedLines(x: ExportInput): string[] {
  const adopted = Object.values(x.state.stages).flatMap((st) =>
    (st?.adopted ?? []).map((k) => st?.resources[k]).filter((r): r is string => !!r),
  );
  if (!adopted.length) return [];
  return [
    `Adopted by this setup, not created by it: ${adopted.map((a) => `\`${a}\``).join(', ')}. Their resources ` +
      'carry `lifecycle { prevent_destroy = true }`, so `terraform destroy` refuses rather than delete them.',
    '',
  ];
}

function takeOver(x: ExportInput, count: number): string[] {
  return [
    '## Take over',
    '',
    '1. Credentials, in the shell you run Terraform from:',
    '   - Google: `gcloud auth application-default login`, or `export GOOGLE_OAUTH_ACCESS_TOKEN=$(gcloud auth ' +
      'print-access-token)`. The account needs what iap-auth0 needed (Cloud Run, IAM, IAP and OAuth clients in the ' +
      'project; workforce pools in the organization).',
    '   - Auth0: `AUTH0_CLIENT_ID` and `AUTH0_CLIENT_SECRET` of a machine-to-machine app authorized for the ' +
      'Management API with `read:clients`, `update:clients` and `read:client_keys` (the Auth0 provider reads the ' +
      "application's secret with it, and hands it to the workforce provider), plus `create:clients` and " +
      '`delete:clients` if Terraform is ever to create or delete it.',
    '2. `terraform init`',
    `3. \`terraform plan\`: it should say **${count} to import, 0 to add, 0 to change, 0 to destroy**. If it ` +
      'proposes a change, something changed since the export, or it is listed under "Not covered" below: ' +
      'read the plan before applying.',
    '4. `terraform apply` records the imports in the Terraform state. `imports.tf` may then be deleted.',
    '5. **Stop using `iap-auth0 init` and `iap-auth0 destroy` for this setup** ' +
      `(setup ${x.state.setupId ?? '(no id)'}): ` +
      'change it with Terraform from now on. `iap-auth0 verify` and `status` only read, and keep working with the ' +
      'state file.',
    '',
    'Needs Terraform ' +
      `${TERRAFORM_VERSION} (import blocks). Written against \`${PROVIDERS.google.source}\` ` +
      `${PROVIDERS.google.writtenAgainst} and \`${PROVIDERS.auth0.source}\` ${PROVIDERS.auth0.writtenAgainst} ` +
      '(`versions.tf`). The values a person tunes are variables, with the current values as defaults ' +
      '(`variables.tf`); the ids Google and Auth0 generated are written as they are.',
    '',
  ];
}

function secrets(): string[] {
  return [
    '## Secrets',
    '',
    'No file here holds a secret. The Auth0 client secret flows from `auth0_client_credentials.app.client_secret` ' +
      'to the workforce provider, and the OAuth credential secret from ' +
      '`google_iam_oauth_client_credential.iap.client_secret` to the IAP settings, inside Terraform. Both end up ' +
      'in the Terraform state: keep it in a protected backend.',
    '',
    'Neither API ever returns those two secrets, so after an import Terraform does not know what they were set to; ' +
      'the two `ignore_changes` entries keep every plan from proposing to send them again. To push a rotated ' +
      'secret, comment out the `ignore_changes` line of the resource for one `terraform apply`.',
    '',
  ];
}

/** How var.allowed_members and var.attribute_condition decide together who gets in. */
function whoMaySignIn(x: ExportInput): string[] {
  const condition = !!x.live.provider.attributeCondition;
  return [
    '## Who may sign in',
    '',
    '`var.allowed_members` lists the IAM members granted `roles/iap.httpsResourceAccessor`' +
      (condition
        ? '. The workforce provider also has an attribute condition, `var.attribute_condition`: whoever it refuses ' +
          'cannot sign in at all ("rejected by the attribute condition"), whatever `allowed_members` says. **Change ' +
          'the two together**: to let a new person in, add their member to `allowed_members` and their Auth0 user ' +
          'id, email, role or group to the matching list in `attribute_condition` (to admit everyone the pool ' +
          'maps, delete the `attribute_condition` line in `workforce.tf`). Removing someone from either keeps ' +
          'them out.'
        : '. The workforce provider has no attribute condition, so `allowed_members` alone decides.'),
    '',
  ];
}

function handBack(x: ExportInput, imports: ImportSpec[]): string[] {
  const i = x.state.inputs;
  return [
    '## Hand back to iap-auth0',
    '',
    'Make Terraform forget the resources without deleting them, then let iap-auth0 manage them again:',
    '',
    '```sh',
    ...imports.map((m) => `terraform state rm '${m.to}'`).filter((l, n, all) => all.indexOf(l) === n),
    '```',
    '',
    'then run `iap-auth0 init` with the same state file: it finds every resource by its marker (descriptions, ' +
      "labels, the Auth0 app's metadata) and changes only what differs. Without the state file, `iap-auth0 init " +
      `--setup ${x.state.setupId ?? 'ID'} --service ${i.service} --region ${i.region} --project ${i.project}\` ` +
      'takes the setup back. init grants exactly the `--allow` it is given (by default the whole pool) and keeps ' +
      'the image deployed: if you changed who may sign in with Terraform, pass the same members with `--allow`. ' +
      'init never overwrites an attribute condition it did not write: if you changed `attribute_condition`, pass ' +
      'the new one with `--require`, or init stops and says so.',
    '',
  ];
}

export function readme(x: ExportInput, o: { files: string[]; imports: ImportSpec[]; notes: string[] }): string {
  const i = x.state.inputs;
  const lines = [
    `# Terraform for Cloud Run service ${i.service} behind IAP with Auth0 sign-in`,
    '',
    `Written by \`iap-auth0 export terraform\` from the setup ${x.state.setupId ?? ''} in project ${i.project} ` +
      `(${i.region}), IAP settings and access on ${i.scope === 'project' ? 'the whole project' : 'the service'}. ` +
      `Files: ${[...o.files, 'README.md'].map((f) => `\`${f}\``).join(', ')}.`,
    '',
    'Every resource below exists already and is imported, not created:',
    '',
    ...resourcesTable(o.imports),
    '',
    ...adoptedLines(x),
    ...takeOver(x, o.imports.length),
    ...whoMaySignIn(x),
    ...secrets(),
    ...handBack(x, o.imports),
    '## Not covered',
    '',
    ...FIXED_LIMITS.map((l) => `- ${l}`),
    ...(o.notes.length
      ? [
          '',
          'This setup also holds settings the export does not write; `terraform plan` would propose to change ' +
            'them. Add them to the configuration by hand before applying:',
          '',
          ...o.notes.map((n) => `- ${n}`),
        ]
      : []),
    '',
  ];
  return lines.join('\n');
}
