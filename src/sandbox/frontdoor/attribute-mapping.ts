// Workforce Identity Federation's attribute mapping and attribute condition (gcp-api.md 7.1):
// each mapping value is a CEL expression over `assertion` (the IdP's claims); the condition is a
// CEL boolean over `assertion`, `google` and `attribute`. Evaluated with @marcbachmann/cel-js.
import { Environment } from '@marcbachmann/cel-js';

export interface MappedIdentity {
  /** google.subject: the tail of principal://…/subject/{subject}. */
  subject: string;
  email?: string;
  displayName?: string;
  groups: string[];
  /** attribute.{name} values (a scalar mapping gives a one-element list). */
  attributes: Record<string, string[]>;
  /** Every google.* value, for the condition's `google` variable. */
  google: Record<string, string | string[]>;
}

export type MappingResult = { ok: true; identity: MappedIdentity } | { ok: false; error: string; description: string };

const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false })
  // Google's CEL extension for mappings: 'auth0|abc'.extract('auth0|{id}') == 'abc'.
  .registerFunction({
    name: 'extract',
    receiverType: 'string',
    returnType: 'string',
    params: [{ name: 'template', type: 'string' }],
    handler: (value: string, template: string) => {
      const m = /^(.*?)\{[^}]*\}(.*)$/s.exec(template);
      if (!m) return '';
      const start = value.indexOf(m[1]);
      if (start < 0) return '';
      const rest = value.slice(start + m[1].length);
      const end = m[2] ? rest.indexOf(m[2]) : rest.length;
      return end < 0 ? '' : rest.slice(0, end);
    },
  });

// cel-js reserves the identifier `google` for the google.protobuf.* types, so `google.subject`
// in a condition cannot be a variable; the expression is rewritten to use `__wif_google` instead
// (outside string literals only).
function rewriteGoogle(expr: string): string {
  let out = '';
  for (let i = 0; i < expr.length; ) {
    const c = expr[i];
    if (c === '"' || c === "'") {
      const triple = expr.startsWith(c.repeat(3), i);
      const close = triple ? c.repeat(3) : c;
      let j = i + close.length;
      while (j < expr.length && !expr.startsWith(close, j)) j += expr[j] === '\\' ? 2 : 1;
      out += expr.slice(i, j + close.length);
      i = j + close.length;
      continue;
    }
    const m = /^google(?=\s*[.[])(?!\s*\.\s*protobuf\b)/.exec(expr.slice(i));
    if (m && !/[A-Za-z0-9_.]/.test(expr[i - 1] ?? '')) {
      out += '__wif_google';
      i += m[0].length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

function toStrings(v: unknown): string[] | undefined {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) return v.flatMap((x) => toStrings(x) ?? []);
  if (typeof v === 'string') return [v];
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return [String(v)];
  return undefined;
}

/** Applies the provider's attributeMapping to the IdP claims. */
export function mapAttributes(mapping: Record<string, string>, claims: Record<string, unknown>): MappingResult {
  const google: Record<string, string | string[]> = {};
  const attributes: Record<string, string[]> = {};
  for (const [key, expr] of Object.entries(mapping)) {
    let value: unknown;
    try {
      value = env.evaluate(expr, { assertion: claims });
    } catch (err) {
      // google.subject is required; an expression that fails for another attribute (typically a
      // claim this user does not have) leaves that attribute unset. Assumption: STS is lenient
      // here rather than failing the sign-in.
      if (key === 'google.subject') {
        return {
          ok: false,
          error: 'invalid_request',
          description:
            'The attribute mapping for google.subject could not be evaluated: ' +
            `${(err as Error).message.split('\n')[0]}`,
        };
      }
      continue;
    }
    const list = toStrings(value);
    if (!list) continue;
    if (key.startsWith('google.')) {
      const name = key.slice(7);
      google[name] = name === 'groups' ? list : list[0];
    } else if (key.startsWith('attribute.')) {
      attributes[key.slice(10)] = list;
    }
  }
  const subject = typeof google.subject === 'string' ? google.subject : undefined;
  if (!subject) {
    return {
      ok: false,
      error: 'invalid_request',
      description:
        'The mapped attribute google.subject is missing or empty. Either modify your attribute mapping or the ' +
        'incoming assertion to produce a google.subject value.',
    };
  }
  if (Buffer.byteLength(subject) > 127) {
    // The wording of STS's size error for mapped attributes.
    return {
      ok: false,
      error: 'invalid_request',
      description:
        'The size of mapped attribute google.subject exceeds the 127 bytes limit. Either modify your ' +
        'attribute mapping or the incoming assertion to produce a mapped attribute that is less than 127 ' +
        'bytes.',
    };
  }
  const str = (k: string) => (typeof google[k] === 'string' ? (google[k] as string) : undefined);
  return {
    ok: true,
    identity: {
      subject,
      email: str('email'),
      displayName: str('display_name'),
      groups: Array.isArray(google.groups) ? google.groups : [],
      attributes,
      google,
    },
  };
}

export type ConditionResult = { ok: true } | { ok: false; error: string; description: string };

/** Evaluates attributeCondition; empty accepts everyone (gcp-api.md 7.1). */
export function checkCondition(
  condition: string | undefined,
  claims: Record<string, unknown>,
  identity: MappedIdentity,
): ConditionResult {
  if (!condition?.trim()) return { ok: true };
  const attribute = Object.fromEntries(
    Object.entries(identity.attributes).map(([k, v]) => [k, v.length === 1 ? v[0] : v]),
  );
  let result: unknown;
  try {
    result = env.evaluate(rewriteGoogle(condition), { assertion: claims, __wif_google: identity.google, attribute });
  } catch {
    // Assumption: a condition that errors (e.g. a missing claim) rejects, like `false`.
    result = false;
  }
  if (result === true) return { ok: true };
  return {
    ok: false,
    error: 'unauthorized_client',
    description: 'The given credential is rejected by the attribute condition.',
  };
}
