// A small HCL writer that leaves files as `terraform fmt` would: two-space indentation, and the `=`
// of each run of single-line attributes aligned (a blank line, a comment, a block or a multi-line
// value ends a run, as in hclwrite's formatter). Only what the export writes is supported: strings,
// numbers, booleans, references, templates, lists, objects, blocks and comments. Our own code
// rather than a library, so that the CLI's install does not grow (the tests check the output with
// HashiCorp's parser and formatter, compiled to WebAssembly, as a dev dependency only).

/** An expression written as it is: a reference (`var.region`), a function call, a template. */
export class Expr {
  constructor(readonly text: string) {}
}
export const expr = (text: string) => new Expr(text);

/** An object value (`{ k = v }`); a key that is not an identifier is quoted (`"google.subject" = …`). */
export class Obj {
  constructor(readonly entries: readonly (readonly [string, Value])[]) {}
}
export const obj = (o: Record<string, Value>) => new Obj(Object.entries(o));

export type Value = string | number | boolean | Expr | Obj | readonly Value[];

export type Item =
  | { readonly kind: 'attr'; readonly name: string; readonly value: Value }
  | { readonly kind: 'block'; readonly type: string; readonly labels: readonly string[]; readonly body: Item[] }
  | { readonly kind: 'comment'; readonly text: string }
  | { readonly kind: 'blank' };

export const attr = (name: string, value: Value): Item => ({ kind: 'attr', name, value });
export const block = (type: string, labels: readonly string[], body: Item[]): Item => ({
  kind: 'block',
  type,
  labels,
  body,
});
export const comment = (text: string): Item => ({ kind: 'comment', text });
export const blank: Item = { kind: 'blank' };

/** A literal string as an HCL quoted string: `${` and `%{` are escaped so nothing is interpolated. */
export function quote(s: string): string {
  const body = s
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    // A function, not a replacement string: in one, `$$` stands for a single `$`.
    .replace(/\$\{/g, () => '$${')
    .replace(/%\{/g, () => '%%{');
  return `"${body}"`;
}

/** A template: literal parts escaped, expressions interpolated (`"projects/${var.project}"`). */
export function template(...parts: (string | Expr)[]): Expr {
  return expr(`"${parts.map((p) => (p instanceof Expr ? `\${${p.text}}` : quote(p).slice(1, -1))).join('')}"`);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Keys written bare: identifiers, but for words that read as something else (`{ for …` starts a for expression). */
const bareKey = (k: string) => IDENT.test(k) && !['for', 'in', 'if', 'true', 'false', 'null'].includes(k);

/** The value on one line, or undefined when it needs several (objects with entries, lists of objects). */
function inline(v: Value): string | undefined {
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Expr) return v.text;
  if (v instanceof Obj) return v.entries.length ? undefined : '{}';
  const parts = v.map(inline);
  if (parts.some((p) => p === undefined)) return undefined;
  const line = `[${parts.join(', ')}]`;
  // Long lists read better one item a line; both forms are what terraform fmt leaves.
  return line.length > 80 && parts.length > 1 ? undefined : line;
}

/** Lines of a multi-line value; the first line continues `name = `, the others are indented by `pad`. */
function multiline(v: Value, pad: string): string[] {
  const inner = `${pad}  `;
  if (v instanceof Obj) {
    const rows = v.entries.map(([k, val]) => ({ name: bareKey(k) ? k : quote(k), value: val }));
    return ['{', ...assignments(rows, inner), `${pad}}`];
  }
  const items = (v as readonly Value[]).flatMap((item) => {
    const one = inline(item);
    if (one !== undefined) return [`${inner}${one},`];
    const lines = multiline(item, inner);
    return [`${inner}${lines[0]}`, ...lines.slice(1, -1), `${lines.at(-1)},`];
  });
  return ['[', ...items, `${pad}]`];
}

/** `name = value` rows at one indentation, the `=` of each run of single-line rows aligned. */
function assignments(rows: { name: string; value: Value }[], pad: string): string[] {
  const out: string[] = [];
  let run: { name: string; text: string }[] = [];
  const flush = () => {
    const width = Math.max(...run.map((r) => r.name.length));
    for (const r of run) out.push(`${pad}${r.name.padEnd(width)} = ${r.text}`);
    run = [];
  };
  for (const row of rows) {
    const one = inline(row.value);
    if (one !== undefined) {
      run.push({ name: row.name, text: one });
      continue;
    }
    if (run.length) flush();
    const lines = multiline(row.value, pad);
    out.push(`${pad}${row.name} = ${lines[0]}`, ...lines.slice(1));
  }
  if (run.length) flush();
  return out;
}

/** The lines of a body at indentation `pad`. */
function bodyLines(items: readonly Item[], pad: string): string[] {
  const out: string[] = [];
  let attrs: { name: string; value: Value }[] = [];
  const flush = () => {
    if (attrs.length) out.push(...assignments(attrs, pad));
    attrs = [];
  };
  for (const item of items) {
    if (item.kind === 'attr') {
      if (!IDENT.test(item.name)) throw new Error(`not an HCL attribute name: ${item.name}`);
      attrs.push({ name: item.name, value: item.value });
      continue;
    }
    flush();
    if (item.kind === 'blank') out.push('');
    else if (item.kind === 'comment') out.push(...item.text.split('\n').map((l) => `${pad}#${l ? ` ${l}` : ''}`));
    else {
      const head = [item.type, ...item.labels.map(quote)].join(' ');
      if (!item.body.length) out.push(`${pad}${head} {}`);
      else out.push(`${pad}${head} {`, ...bodyLines(item.body, `${pad}  `), `${pad}}`);
    }
  }
  flush();
  return out;
}

/** A whole file: top-level items, each block separated from the next by one blank line. */
export function render(items: readonly Item[]): string {
  const spaced: Item[] = [];
  for (const [i, item] of items.entries()) {
    const prev = items[i - 1];
    if (prev && prev.kind === 'block' && item.kind !== 'blank') spaced.push(blank);
    spaced.push(item);
  }
  return `${bodyLines(spaced, '')
    .map((l) => l.trimEnd())
    .join('\n')}\n`;
}
