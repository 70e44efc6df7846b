// The plan in plain words, for a person deciding whether to apply it: grouped by stage (one title
// per stage, as everywhere), each change a verb people use ("keep" where the data says `none`),
// resources by their kind and short id rather than full API paths, and every line wrapped at word
// boundaries (wrap.ts) at the terminal's width, or at PIPE_WIDTH off a terminal. Every plan a person
// reads says it this way: the guided init's before "Apply?", init --yes and --dry-run's, destroy's
// confirmation. --json keeps the plan's data (verbs, stage ids, full resource paths). Pure.
import type { PlanItem } from '../core/stage.js';
import type { DestroyPlanItem } from '../core/destroy.js';
import { STAGES, STAGE_TITLES } from '../state/names.js';
import { wrap } from './wrap.js';
import { memberWords } from '../lib/member-words.js';

const VERB: Record<PlanItem['action'], string> = {
  create: 'create',
  update: 'update',
  adopt: 'use (adopt)',
  undelete: 'restore',
  grant: 'grant',
  revoke: 'revoke',
  delete: 'delete',
  none: 'keep',
  refuse: 'leave alone',
};

const KINDS: Record<string, string> = {
  services: 'service',
  workforcePools: 'workforce pool',
  providers: 'provider',
  oauthClients: 'OAuth client',
  credentials: 'credential',
  serviceAccounts: 'service account',
};

/** A resource path by its kind and id: `projects/p/locations/r/services/hello` → `service hello`. */
export function shortResource(resource: string): string {
  if (!/^(projects|locations)\/\S+$/.test(resource)) return resource;
  const parts = resource.split('/');
  const [kind, id] = parts.slice(-2);
  const words = `${KINDS[kind] ?? kind} ${id}`;
  return resource.includes('/iap_web/') ? `IAP on ${words}` : words;
}

/** An IAM member in words (lib/member-words.ts): the whole pool, an email, a group, a user; others as they are. */
export const shortMember = (member: string): string => memberWords(member);

/** One change as a sentence. */
export function changeWords(p: PlanItem): string {
  const fields = p.fields?.length ? ` (${p.fields.join(', ')})` : '';
  const members = p.members?.length ? ` to ${p.members.map(shortMember).join(', ')}` : '';
  const when = p.awaits ? `, once ${p.awaits} is known${p.conditional ? ', if it allows' : ''}` : '';
  return titled(`${VERB[p.action]} ${shortResource(p.resource)}${fields}${members}: ${p.reason}${when}`);
}

/** "(auth0-app)" → "(Auth0 application)": stages are named by their one title, never by their id. */
const titled = (text: string) =>
  text.replace(/\(([a-z0-9-]+)\)/g, (whole, id: string) =>
    id in STAGE_TITLES ? `(${STAGE_TITLES[id as keyof typeof STAGE_TITLES]})` : whole,
  );

/** A stage's block: its title, then each sentence as an item under it, wrapped at `width`. */
const stageBlock = (title: string, sentences: string[], width: number): string[] => [
  ...wrap(title, width, '  '),
  ...sentences.flatMap((text) => wrap(text, width, '    - ', '      ')),
];

/** The whole plan as lines no wider than `width`: a title per stage, its changes under it. */
export function planWords(items: PlanItem[], width: number): string[] {
  const lines = ['The plan:'];
  for (const stage of STAGES) {
    const mine = items.filter((p) => p.stage === stage);
    if (mine.length) lines.push(...stageBlock(STAGE_TITLES[stage], mine.map(changeWords), width));
  }
  return lines;
}

/** destroy's plan, in the order it runs: a title per stage, what it deletes (or keeps, --keep) under it. */
export function destroyPlanWords(plan: DestroyPlanItem[], width: number): string[] {
  return [
    'iap-auth0 will delete, in this order:',
    ...plan.flatMap((p) =>
      stageBlock(
        p.title,
        p.items.map((i) => `${p.kept ? 'keep' : 'delete'} ${i}`),
        width,
      ),
    ),
    ...wrap('APIs and the IAP service agent stay enabled.', width),
  ];
}
