// IAM allow policies for every resource the sandbox knows (Cloud Run services, IAP resources,
// projects). setIamPolicy replaces the whole policy and checks the etag; every version is kept
// with its time so the sign-in path can read the policy "as of" one propagation delay ago.
import { randomBytes } from 'node:crypto';
import { invalid, staleEtag } from './errors.js';
import type { Clock } from './clock.js';

export interface Binding {
  role: string;
  members: string[];
  condition?: { title?: string; description?: string; expression: string };
}
export interface Policy {
  version?: number;
  etag?: string;
  bindings?: Binding[];
  auditConfigs?: unknown[];
}

interface Version {
  at: number;
  policy: Required<Pick<Policy, 'version' | 'etag' | 'bindings'>>;
}

// Google answers "ACAB" as the etag of a policy that was never written.
const EMPTY_ETAG = 'ACAB';

// The resource path of a workforce pool in a principal or principalSet member.
const POOL_PATH = String.raw`iam\.googleapis\.com\/locations\/global\/workforcePools\/[a-z][a-z0-9-]{4,61}[a-z0-9]`;

const MEMBER_PATTERNS: RegExp[] = [
  /^allUsers$/,
  /^allAuthenticatedUsers$/,
  /^(user|serviceAccount|group|domain):[^\s]+$/,
  /^deleted:(user|serviceAccount|group):[^\s]+$/,
  /^projectOwner:|^projectEditor:|^projectViewer:/,
  new RegExp(String.raw`^principal:\/\/${POOL_PATH}\/subject\/.+$`),
  new RegExp(String.raw`^principalSet:\/\/${POOL_PATH}\/(\*|group\/.+|attribute\.[a-z0-9_]+\/.+)$`),
];

export function isValidMember(member: string): boolean {
  return MEMBER_PATTERNS.some((re) => re.test(member));
}

export class PolicyStore {
  private readonly history = new Map<string, Version[]>();
  constructor(private readonly clock: Clock) {}

  /** Current policy in wire form (etag "ACAB" and no bindings when never written). */
  get(resource: string): Policy {
    const v = this.latest(resource);
    if (!v) return { version: 1, etag: EMPTY_ETAG };
    const out: Policy = { version: v.policy.version, etag: v.policy.etag };
    if (v.policy.bindings.length) out.bindings = structuredClone(v.policy.bindings);
    return out;
  }

  /**
   * Replaces the policy. A supplied etag must match the current one (409 ABORTED otherwise);
   * no etag means a blind overwrite, which Google also allows.
   */
  set(resource: string, policy: Policy, opts: { rejectPublic?: boolean } = {}): Policy {
    const current = this.get(resource);
    if (policy.etag !== undefined && policy.etag !== current.etag) throw staleEtag();
    const bindings: Binding[] = [];
    for (const b of policy.bindings ?? []) {
      if (!b.role || !/^(roles|projects\/[^/]+\/roles|organizations\/[^/]+\/roles)\/[A-Za-z0-9_.]+$/.test(b.role)) {
        throw invalid(`Role ${b.role ?? '(empty)'} is not supported for this resource.`, 'policy.bindings.role');
      }
      for (const m of b.members ?? []) {
        if (!isValidMember(m)) throw invalid(`Invalid member: ${m}`, 'policy.bindings.members');
        if (opts.rejectPublic && (m === 'allUsers' || m === 'allAuthenticatedUsers')) {
          throw invalid(
            `Policy members must be of the form "<type>:<value>" and cannot be ${m} for this resource.`,
            'policy.bindings.members',
          );
        }
      }
      if (b.condition && (policy.version ?? 1) < 3) {
        throw invalid('Conditional bindings require policy version 3; set policy.version to 3.', 'policy.version');
      }
      const members = [...new Set(b.members ?? [])];
      if (members.length) bindings.push({ role: b.role, members, ...(b.condition ? { condition: b.condition } : {}) });
    }
    const version = bindings.some((b) => b.condition) ? 3 : 1;
    const next = { version, etag: 'Bw' + randomBytes(6).toString('base64'), bindings };
    let list = this.history.get(resource);
    if (!list) {
      list = [];
      this.history.set(resource, list);
    }
    list.push({ at: this.clock.now(), policy: next });
    return this.get(resource);
  }

  /** The bindings that the data path sees: the newest version at least `delayMs` old. */
  effective(resource: string, delayMs: number): Binding[] {
    const cutoff = this.clock.now() - delayMs;
    const list = this.history.get(resource) ?? [];
    for (let i = list.length - 1; i >= 0; i--) if (list[i].at <= cutoff) return list[i].policy.bindings;
    return [];
  }

  /** True once the newest version is visible to the data path. */
  settled(resource: string, delayMs: number): boolean {
    const v = this.latest(resource);
    return !v || v.at <= this.clock.now() - delayMs;
  }

  /** Members holding `role` on `resource` as the data path sees them. */
  membersWithRole(resource: string, role: string, delayMs: number): string[] {
    return this.effective(resource, delayMs)
      .filter((b) => b.role === role && !b.condition)
      .flatMap((b) => b.members);
  }

  delete(resource: string): void {
    this.history.delete(resource);
  }

  resources(): string[] {
    return [...this.history.keys()];
  }

  private latest(resource: string): Version | undefined {
    const list = this.history.get(resource);
    return list?.[list.length - 1];
  }
}
