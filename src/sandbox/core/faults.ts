// Fault injection: a share of API answers replaced by 429 or 503, drawn from a seeded generator
// so a failing run can be replayed with the same --seed.
//
// SPEC grammar: comma-separated API=RATE[:CODE] items. API is one of the names below or `all`;
// RATE is a fraction in [0, 1); CODE is 429 or 503 (default: a fair mix of both), or `lost`: the
// change is made but its answer is replaced by 503, as when a response is lost on the way back
// (reads pass untouched). `lost` is what makes a blindly repeated create duplicate something.
// Two faults are the network's, not the API's: `reset` destroys the connection (for a change,
// half the time after the change was made: the caller cannot know which), and `hang` accepts the
// request and never answers (a black hole: a dropping firewall, a dead proxy). RATE 1 is allowed
// for those two, to black-hole an API entirely.
// Example: `all=0.3`, `iam=0.5:503,auth0=0.2:429`, `all=0.2:lost`, `all=0.3:reset`, `run=1:hang`.

export const FAULT_APIS = [
  'serviceusage',
  'cloudresourcemanager',
  'iam',
  'run',
  'iap',
  'auth0',
  'orgpolicy', // the Org Policy API v2 (src/sandbox/google/orgpolicy.ts); iap-auth0 itself never calls it
] as const;
export type ApiName = (typeof FAULT_APIS)[number];

export type FaultKind = 429 | 503 | 'lost' | 'reset' | 'hang';
export interface FaultRule {
  rate: number;
  code?: FaultKind;
}
export type FaultSpec = Partial<Record<ApiName, FaultRule>>;

export function parseFaultSpec(spec: string | undefined): FaultSpec {
  const out: FaultSpec = {};
  if (!spec?.trim()) return out;
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([a-z0-9]+)=(\d*\.?\d+)(?::(429|503|lost|reset|hang))?$/.exec(item);
    if (!m)
      throw new Error(
        `invalid fault "${item}": write API=RATE[:CODE] with CODE 429, 503, lost, reset or hang, e.g. ` +
          'iam=0.3, all=0.3:reset or run=1:hang',
      );
    const rate = Number(m[2]);
    const network = m[3] === 'reset' || m[3] === 'hang';
    if (!(rate >= 0 && (rate < 1 || (network && rate === 1)))) {
      throw new Error(
        `invalid fault rate ${m[2]} in "${item}": use a fraction from 0 up to (not including) ` +
          `1${network ? ', or 1 to fail every request' : ''}`,
      );
    }
    const code: FaultKind | undefined = !m[3]
      ? undefined
      : /^\d+$/.test(m[3])
        ? (Number(m[3]) as 429 | 503)
        : (m[3] as 'lost' | 'reset' | 'hang');
    const rule: FaultRule = { rate, ...(code !== undefined ? { code } : {}) };
    if (m[1] === 'all') for (const api of FAULT_APIS) out[api] = rule;
    else if ((FAULT_APIS as readonly string[]).includes(m[1])) out[m[1] as ApiName] = rule;
    else throw new Error(`unknown API "${m[1]}" in fault "${item}": use one of ${FAULT_APIS.join(', ')} or all`);
  }
  return out;
}

/** mulberry32: small, fast, good enough to make fault sequences reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private random: () => number;
  constructor(
    public spec: FaultSpec,
    seed: number,
  ) {
    this.random = seededRandom(seed);
  }
  /** What to do to this request: fail it before (429, 503), lose its answer after ('lost'), or nothing. */
  draw(api: ApiName): FaultKind | undefined {
    const rule = this.spec[api];
    if (!rule || rule.rate <= 0) return undefined;
    if (this.random() >= rule.rate) return undefined;
    return rule.code ?? (this.random() < 0.5 ? 429 : 503);
  }
  /** A fair coin from the same seeded sequence (a reset before or after the change). */
  coin(): boolean {
    return this.random() < 0.5;
  }
}
