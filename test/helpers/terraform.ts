// Holds a folder `iap-auth0 export terraform` wrote to the evidence in
// test/fixtures/terraform/schema.json (the providers' own docs and schema at the pinned versions):
// every file parses with HashiCorp's HCL parser and is left unchanged by its formatter (both
// compiled to WebAssembly, dev dependencies only), every resource type and attribute is known,
// required ones are present, computed-only ones are never set, references name attributes that
// exist and variables that are declared, `ignore_changes` paths name attributes of the schema, every
// import id matches a documented format of its resource type, and a `name` the importer takes whole
// (google_iap_settings) matches the documented name forms.
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@cdktn/hcl2json';
import { format } from '@cdktn/hcl-tools';

type Attr = { type: string; mode: string; block?: Record<string, Attr>; maxItems?: number };
interface Fixture {
  terraform: { metaArguments: string[]; lifecycle: string[] };
  providers: Record<string, { source: string; version: string; config: Record<string, Attr> }>;
  dataSources: Record<string, { attributes: Record<string, Attr> }>;
  resources: Record<
    string,
    {
      provider: string;
      import: { formats: string[][]; patterns?: string[][] };
      /** The documented forms of a `name` the importer takes whole (google_iap_settings). */
      names?: { documented: string[]; cloudRun?: string[] };
      attributes: Record<string, Attr>;
    }
  >;
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const fixture: Fixture = JSON.parse(
  await readFile(path.resolve(here, '../../../test/fixtures/terraform/schema.json'), 'utf8'),
);

export interface ParsedFolder {
  files: Record<string, string>;
  /** hcl2json's JSON of every .tf file, merged by top-level key. */
  resources: Record<string, Record<string, any[]>>;
  data: Record<string, Record<string, any[]>>;
  imports: { to: string; id: string }[];
  variables: Record<string, any>;
  providers: Record<string, any[]>;
  terraform: any[];
}

/** Reads and parses every file; each .tf must parse and be as `terraform fmt` leaves it. */
export async function parseFolder(dir: string): Promise<ParsedFolder> {
  const names = (await readdir(dir)).sort();
  const out: ParsedFolder = {
    files: {},
    resources: {},
    data: {},
    imports: [],
    variables: {},
    providers: {},
    terraform: [],
  };
  for (const name of names) {
    const text = await readFile(path.join(dir, name), 'utf8');
    out.files[name] = text;
    if (!name.endsWith('.tf')) continue;
    assert.equal(await format(text), text, `${name} is not formatted as terraform fmt would leave it`);
    const json: any = await parse(name, text);
    for (const [type, byName] of Object.entries<any>(json.resource ?? {}))
      out.resources[type] = { ...out.resources[type], ...byName };
    for (const [type, byName] of Object.entries<any>(json.data ?? {}))
      out.data[type] = { ...out.data[type], ...byName };
    for (const i of json.import ?? []) out.imports.push({ to: String(i.to).replace(/^\$\{(.*)\}$/, '$1'), id: i.id });
    Object.assign(out.variables, json.variable ?? {});
    Object.assign(out.providers, json.provider ?? {});
    out.terraform.push(...(json.terraform ?? []));
  }
  return out;
}

/** Checks one body (resource or nested block) against its schema; `where` names it in messages. */
function checkBody(body: Record<string, any>, schema: Record<string, Attr>, where: string, top: boolean): void {
  for (const [key, value] of Object.entries(body)) {
    if (top && fixture.terraform.metaArguments.includes(key)) {
      if (key === 'lifecycle')
        for (const l of value as any[])
          for (const [k, v] of Object.entries<any>(l)) {
            assert.ok(fixture.terraform.lifecycle.includes(k), `${where}: lifecycle.${k}`);
            // `ignore_changes = all` is no list.
            if (k === 'ignore_changes' && Array.isArray(v))
              for (const path of v as string[]) checkIgnorePath(path.replace(/^\$\{(.*)\}$/, '$1'), schema, where);
          }
      continue;
    }
    const a = schema[key];
    assert.ok(a, `${where}: \`${key}\` is not an attribute of the provider's schema`);
    assert.notEqual(a.mode, 'computed', `${where}: \`${key}\` is computed only and cannot be set`);
    if (a.block) {
      assert.ok(Array.isArray(value), `${where}: \`${key}\` is a block`);
      if (a.maxItems) assert.ok(value.length <= a.maxItems, `${where}: at most ${a.maxItems} \`${key}\` blocks`);
      for (const b of value) checkBody(b, a.block, `${where}.${key}`, false);
    } else
      assert.ok(!Array.isArray(value) || value.every((x) => typeof x !== 'object'), `${where}: ${key} is no block`);
  }
  for (const [key, a] of Object.entries(schema))
    if (a.mode === 'required') assert.ok(key in body, `${where}: the required \`${key}\` is missing`);
}

/**
 * An `ignore_changes` path (`oidc[0].client_secret[0].value[0].plain_text`) names an attribute of the schema: each
 * step an attribute, every step but the last a nested block (indexed within its max_items).
 */
function checkIgnorePath(path: string, schema: Record<string, Attr>, where: string): void {
  const steps = path.split('.');
  let at: Record<string, Attr> | undefined = schema;
  for (const [n, step] of steps.entries()) {
    const [, name, index] = /^([a-z0-9_]+)(?:\[(\d+)\])?$/.exec(step) ?? [];
    const a: Attr | undefined = name ? at?.[name] : undefined;
    assert.ok(a, `${where}: lifecycle.ignore_changes ${path}: ${step} is not an attribute of the provider's schema`);
    if (index !== undefined && a.maxItems)
      assert.ok(Number(index) < a.maxItems, `${where}: lifecycle.ignore_changes ${path}: ${step} past max_items`);
    if (n < steps.length - 1)
      assert.ok(a.block, `${where}: lifecycle.ignore_changes ${path}: ${step} is not a nested block`);
    at = a.block;
  }
}

/**
 * Every reference `[data.]TYPE.NAME.ATTR` in a .tf file names a block of the folder and an attribute of its type,
 * and every `var.X` a declared variable.
 */
function checkReferences(p: ParsedFolder): void {
  const text = Object.entries(p.files)
    .filter(([f]) => f.endsWith('.tf'))
    .map(([, t]) => t.replace(/^\s*#.*$/gm, ''))
    .join('\n');
  for (const m of text.matchAll(/(?<![\w.])(data\.)?((?:google|auth0)_[a-z0-9_]+)\.([a-z0-9_]+)\.([a-z0-9_]+)/g)) {
    const [ref, data, type, name, attribute] = m;
    const blocks = data ? p.data : p.resources;
    const schema = data ? fixture.dataSources[type]?.attributes : fixture.resources[type]?.attributes;
    assert.ok(blocks[type]?.[name], `${ref}: no ${data ?? ''}${type}.${name} in the folder`);
    assert.ok(schema?.[attribute] || attribute === 'id', `${ref}: ${type} has no ${attribute}`);
  }
  for (const [ref, name] of text.matchAll(/(?<![\w.])var\.([A-Za-z0-9_-]+)/g))
    assert.ok(p.variables[name], `${ref}: no variable "${name}" is declared in the folder`);
}

/** A documented format as a pattern: each {{placeholder}} one path segment (a role or member: up to a space). */
export function formatPattern(f: string): RegExp {
  const parts = f.split(/(\{\{[a-z_]+\}\})/).map((p) => {
    const name = /^\{\{([a-z_]+)\}\}$/.exec(p)?.[1];
    if (!name) return p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return name === 'member' || name === 'role' ? `(?<${name}>\\S+)` : `(?<${name}>[^/ ]+)`;
  });
  return new RegExp(`^${parts.join('')}$`);
}

/** The provider's own importer pattern (Go syntax) as a JavaScript one, anchored at both ends. */
const goPattern = (p: string) => new RegExp(`^${p.replace(/^\^|\$$/g, '').replace(/\(\?P</g, '(?<')}$`);

/**
 * The fields of an import id, by the first pattern of the provider's importer it matches, else (no pattern in the
 * fixture) by the documented formats. An IAM member's id is "RESOURCE ROLE MEMBER": the whole id must match its
 * documented format and its resource a pattern. The test fails if nothing matches.
 */
export function importFields(type: string, id: string): Record<string, string> {
  const imp = fixture.resources[type]?.import;
  assert.ok(imp, `${type}: no import format in the fixture`);
  const patterns = (imp.patterns ?? []).map((p) => goPattern(p.join('')));
  const formats = imp.formats.map((f) => formatPattern(f.join('')));
  const first = (res: RegExp[], text: string) => res.map((re) => re.exec(text)).find((m) => m)?.groups;
  const documented = first(formats, id);
  if (type.endsWith('_iam_member')) {
    assert.ok(documented, `${type}: import id ${id} matches no documented format`);
    const resource = first(patterns, id.split(' ')[0]);
    assert.ok(resource, `${type}: the resource of import id ${id} matches none of the importer's patterns`);
    return { ...documented, ...resource };
  }
  const fields = patterns.length ? first(patterns, id) : documented;
  assert.ok(fields, `${type}: import id ${id} matches none of the provider's import patterns or documented formats`);
  if (fixture.resources[type].names) assertNamed(type, fields.name, `import id ${id}: its name`);
  return { ...fields };
}

/** A documented name form (`projects/{project_id}/iap_web`) as a pattern: each {placeholder} within one segment. */
export function namePattern(form: string): RegExp {
  const parts = form.split(/(\{[a-z_]+\})/).map((p) => {
    const name = /^\{([a-z_]+)\}$/.exec(p)?.[1];
    return name ? `(?<${name}>[^/ ]+)` : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${parts.join('')}$`);
}

/** `name` is one of the fixture's name forms for `type` (documented, or Cloud Run's with its own source). */
function assertNamed(type: string, name: string | undefined, what: string): void {
  const n = fixture.resources[type].names!;
  const forms = [...n.documented, ...(n.cloudRun ?? [])];
  assert.ok(
    name !== undefined && forms.some((f) => namePattern(f).test(name)),
    `${type}: ${what} ${name} matches no documented name form`,
  );
}

/**
 * A resource's `name` attribute against the name forms, each interpolation standing for one value (`${var.region}`
 * in `cloud_run-${var.region}`): the configuration names the same kind of resource its import id does.
 */
function checkNameAttribute(type: string, where: string, body: Record<string, any>): void {
  if (!fixture.resources[type].names) return;
  const value = String(body.name ?? '');
  assertNamed(
    type,
    value.replace(/\$\{[^}]*\}/g, 'VALUE'),
    `${where}.name (${value}), interpolations read as one value:`,
  );
}

/** The whole folder against the fixture. */
export function checkAgainstFixture(p: ParsedFolder): void {
  for (const [type, byName] of Object.entries(p.resources)) {
    const r = fixture.resources[type];
    assert.ok(r, `${type} is not a resource type the fixture documents`);
    for (const [name, bodies] of Object.entries(byName)) {
      checkBody(bodies[0], r.attributes, `${type}.${name}`, true);
      checkNameAttribute(type, `${type}.${name}`, bodies[0]);
    }
  }
  for (const [type, byName] of Object.entries(p.data))
    for (const [name, bodies] of Object.entries(byName))
      checkBody(bodies[0], fixture.dataSources[type].attributes, `data.${type}.${name}`, true);
  for (const [name, bodies] of Object.entries(p.providers))
    checkBody(bodies[0], fixture.providers[name].config, `provider.${name}`, false);
  const required = p.terraform[0]?.required_providers?.[0] ?? {};
  for (const [name, pr] of Object.entries(fixture.providers)) {
    assert.equal(required[name]?.source, pr.source, `required_providers.${name}.source`);
    assert.match(required[name]?.version ?? '', new RegExp(`^~> ${pr.version.split('.').slice(0, 2).join('\\.')}$`));
  }
  checkReferences(p);
  for (const i of p.imports) {
    const [, type, name, key] = /^([a-z0-9_]+)\.([a-z0-9_]+)(?:\["(.*)"\])?$/.exec(i.to) ?? [];
    assert.ok(p.resources[type]?.[name], `import to ${i.to}: no such resource in the folder`);
    importFields(type, i.id);
    if (key !== undefined) assert.ok(forEachKeys(p, p.resources[type][name][0]).includes(key), `${i.to}: no such key`);
  }
}

/**
 * A string attribute as Terraform would evaluate it: each `${var.X}` its default, each `${TYPE.NAME.ATTR}` that
 * resource's (literal or further interpolated) attribute, anything else from `known` (values only the providers
 * compute, such as `data.google_project.this.number`). Fails on a reference it cannot resolve.
 */
export function evaluate(p: ParsedFolder, value: string, known: Record<string, string>, depth = 0): string {
  assert.ok(depth < 5, `${value}: references too deep to evaluate`);
  return value.replace(/\$\{([^}]*)\}/g, (_, ref: string) => {
    if (ref in known) return known[ref];
    const variable = /^var\.([a-z0-9_]+)$/.exec(ref)?.[1];
    if (variable) {
      const d = p.variables[variable]?.[0]?.default;
      assert.equal(typeof d, 'string', `${ref}: no string default to evaluate`);
      return d;
    }
    const [type, name, attribute] = ref.split('.');
    const v = p.resources[type]?.[name]?.[0]?.[attribute];
    assert.equal(typeof v, 'string', `${ref}: nothing to evaluate it to`);
    return evaluate(p, v, known, depth + 1);
  });
}

/** The keys of a for_each: a literal toset([...]) or toset(var.X) with X's default. */
function forEachKeys(p: ParsedFolder, body: any): string[] {
  const fe = String(body.for_each ?? '');
  const variable = /var\.([a-z_]+)/.exec(fe)?.[1];
  if (variable) return p.variables[variable][0].default;
  return [...fe.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}
