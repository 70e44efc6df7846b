// Fault injection: a share of API answers replaced by 429 or 503, drawn from a seeded generator
// so a failing run can be replayed with the same --seed.
//
// SPEC grammar: comma-separated API=RATE[:CODE] items. API is one of the names below or `all`;
// RATE is a fraction in [0, 1); CODE is 429 or 503 (default: a fair mix of both).
// Example: `all=0.3`, `iam=0.5:503,auth0=0.2:429`.

export const FAULT_APIS = ['serviceusage', 'cloudresourcemanager', 'iam', 'run', 'iap', 'auth0'] as const;
export type ApiName = (typeof FAULT_APIS)[number];

export interface FaultRule { rate: number; code?: 429 | 503 }
export type FaultSpec = Partial<Record<ApiName, FaultRule>>;

export function parseFaultSpec(spec: string | undefined): FaultSpec {
  const out: FaultSpec = {};
  if (!spec || !spec.trim()) return out;
  for (const item of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z0-9]+)=(\d*\.?\d+)(?::(429|503))?$/.exec(item);
    if (!m) throw new Error(`invalid fault "${item}": write API=RATE[:CODE], e.g. iam=0.3 or all=0.3:503`);
    const rate = Number(m[2]);
    if (!(rate >= 0 && rate < 1)) throw new Error(`invalid fault rate ${m[2]} in "${item}": use a fraction from 0 up to (not including) 1`);
    const rule: FaultRule = { rate, ...(m[3] ? { code: Number(m[3]) as 429 | 503 } : {}) };
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
  constructor(public spec: FaultSpec, seed: number) { this.random = seededRandom(seed); }
  /** Returns the status code to fail this request with, or undefined to let it through. */
  draw(api: ApiName): 429 | 503 | undefined {
    const rule = this.spec[api];
    if (!rule || rule.rate <= 0) return undefined;
    if (this.random() >= rule.rate) return undefined;
    return rule.code ?? (this.random() < 0.5 ? 429 : 503);
  }
}
