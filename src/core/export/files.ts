// Pure: the state file and the live values in, the folder's files out. Each section builder
// returns its resources, import blocks and variables; this assembles versions.tf, providers.tf,
// variables.tf, one file per section, imports.tf and README.md.
import { attr, block, comment, obj, render, type Item } from './hcl.js';
import { importBlock, v, variableBlock, type ImportSpec, type Section, type VariableSpec } from './tf.js';
import { PROVIDERS, TERRAFORM_VERSION } from './versions.js';
import { deploySection } from './resources/deploy.js';
import { auth0Section } from './resources/auth0.js';
import { conditionVariable, workforceSection } from './resources/workforce.js';
import { iapSection } from './resources/iap.js';
import { actionSection } from './resources/action.js';
import { readme } from './readme.js';
import type { ExportInput } from './live.js';

/**
 * The sections, in the order of the files; a builder answering undefined writes no file (the
 * Action's, when the setup records no Action: --allow without role:/group:).
 */
const SECTIONS: ((x: ExportInput) => Section | undefined)[] = [
  deploySection,
  auth0Section,
  actionSection,
  workforceSection,
  iapSection,
];

export interface ExportFile {
  path: string;
  content: string;
}

export interface ExportPlan {
  files: ExportFile[];
  imports: ImportSpec[];
  /** What the folder does not describe (also in its README). */
  notes: string[];
}

function versionsFile(): Item[] {
  const providers = Object.entries(PROVIDERS).map(([name, p]) =>
    attr(name, obj({ source: p.source, version: p.version })),
  );
  return [
    comment(
      `Written against hashicorp/google ${PROVIDERS.google.writtenAgainst} and auth0/auth0 ` +
        `${PROVIDERS.auth0.writtenAgainst}.`,
    ),
    block('terraform', [], [attr('required_version', TERRAFORM_VERSION), block('required_providers', [], providers)]),
  ];
}

function providersFile(): Item[] {
  return [
    comment(
      'Credentials come from the environment: GOOGLE_OAUTH_ACCESS_TOKEN or Application Default Credentials for\n' +
        'Google; AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET (a machine-to-machine app) for Auth0.',
    ),
    block(
      'provider',
      ['google'],
      [
        attr('project', v('project')),
        attr('region', v('region')),
        // Workforce pools and OAuth clients bill quota to a project, as iap-auth0's requests do.
        attr('billing_project', v('project')),
        attr('user_project_override', true),
      ],
    ),
    block('provider', ['auth0'], [attr('domain', v('auth0_domain'))]),
    block('data', ['google_project', 'this'], [attr('project_id', v('project'))]),
  ];
}

function baseVariables(x: ExportInput): VariableSpec[] {
  const i = x.state.inputs;
  const c0 = x.live.service.template?.containers?.[0];
  return [
    { name: 'project', type: 'string', description: 'The Google Cloud project id.', default: i.project },
    { name: 'region', type: 'string', description: 'The Cloud Run region.', default: i.region },
    { name: 'service', type: 'string', description: 'The Cloud Run service name.', default: i.service },
    {
      name: 'image',
      type: 'string',
      description: "The service's container image (as deployed now).",
      default: c0?.image ?? i.image,
    },
    {
      name: 'allowed_members',
      type: 'list(string)',
      description:
        'Who may sign in: IAM members granted roles/iap.httpsResourceAccessor (the whole pool is ' +
        'principalSet://iam.googleapis.com/locations/global/workforcePools/POOL/*).',
      default: x.state.stages.access?.added ?? [],
    },
    ...conditionVariable(x),
    {
      name: 'auth0_domain',
      type: 'string',
      description: "The Auth0 tenant's own domain (where the Management API is).",
      default: i.auth0Domain,
    },
  ];
}

export function buildFiles(x: ExportInput): ExportPlan {
  const sections = SECTIONS.map((s) => s(x)).filter((s): s is Section => !!s);
  const imports = sections.flatMap((s) => s.imports);
  const notes = sections.flatMap((s) => s.notes);
  const variables = [...baseVariables(x), ...sections.flatMap((s) => s.variables ?? [])];
  const importItems: Item[] = [
    comment(
      'Every resource below exists already: `terraform plan` imports it and proposes no change.\n' +
        'After the first `terraform apply` this file may be deleted.',
    ),
    ...imports.map(importBlock),
  ];
  const files: ExportFile[] = [
    { path: 'versions.tf', content: render(versionsFile()) },
    { path: 'providers.tf', content: render(providersFile()) },
    { path: 'variables.tf', content: render(variables.map(variableBlock)) },
    ...sections.map((s) => ({ path: s.file, content: render(s.items) })),
    { path: 'imports.tf', content: render(importItems) },
  ];
  files.push({ path: 'README.md', content: readme(x, { files: files.map((f) => f.path), imports, notes }) });
  return { files, imports, notes };
}
