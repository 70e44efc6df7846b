// One set of rules for the state file, two readers: status checks a file by hand (read-quick.ts),
// init, verify and destroy through the valibot schema (schema.ts), both from state/rules.ts. They
// once disagreed (status called a file fine and suggested init while verify called it damaged).
// Here a complete, valid file is mutated every way a hand edit, a bad merge or another tool could
// leave it (a field removed, a value of the wrong type, unknown keys, stages and statuses, bad ids)
// and both readers must give the same verdict, and for a valid file the same state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as v from 'valibot';
import { StateSchema } from '../src/state/schema.js';
import { quickState, readStateQuick } from '../src/state/read-quick.js';
import { readState, StateError } from '../src/state/store.js';

/** A state file with every field the rules know, optional ones included. */
const full = () => ({
  version: 1,
  tool: 'iap-auth0',
  createdAt: '2026-11-22T00:00:00.000Z',
  updatedAt: '2026-11-22T00:05:00.000Z',
  setupId: 'abcd2345',
  inputs: {
    project: 'sandbox-project',
    projectNumber: '415104041262',
    organization: '123456789012',
    region: 'europe-west1',
    service: 'hello',
    image: 'us-docker.pkg.dev/cloudrun/container/hello',
    auth0Domain: 'tenant.eu.auth0.com',
    auth0IssuerDomain: 'login.example.com',
    pool: 'iap-auth0-hello',
    provider: 'auth0',
    oauthClient: 'iap-auth0-hello',
    allow: ['pool', 'group:admins'],
    scope: 'service',
    audienceEnv: true,
  },
  stages: {
    deploy: {
      status: 'done',
      startedAt: '2026-11-22T00:00:01.000Z',
      finishedAt: '2026-11-22T00:00:09.000Z',
      operations: { service: 'operations/1' },
      resources: { service: 'projects/sandbox-project/locations/europe-west1/services/hello' },
      added: ['serviceAccount:x'],
      adopted: ['service'],
      previous: { invokerIamDisabled: 'false' },
      error: 'none',
    },
    'auth0-app': { status: 'in-progress', resources: {} },
    'workforce-pool': { status: 'failed', error: 'quota' },
    'oauth-client': { status: 'pending' },
    'iap-settings': { status: 'destroying' },
    access: { status: 'destroyed' },
  },
});

type Json = unknown;
type Mutation = { name: string; json: Json };

const isObj = (x: Json): x is Record<string, Json> => !!x && typeof x === 'object' && !Array.isArray(x);

/** Every path to a value in `x`, objects and arrays included. */
function paths(x: Json, at: string[] = []): string[][] {
  const here = at.length ? [at] : [];
  if (isObj(x)) return [...here, ...Object.entries(x).flatMap(([k, val]) => paths(val, [...at, k]))];
  if (Array.isArray(x)) return [...here, ...x.flatMap((val, i) => paths(val, [...at, String(i)]))];
  return here;
}

function edit(path: string[], change: (parent: any, key: string) => void): Json {
  const copy = structuredClone(full()) as any;
  let parent = copy;
  for (const k of path.slice(0, -1)) parent = parent[k];
  change(parent, path.at(-1)!);
  return copy;
}

const WRONG_VALUES: Json[] = [null, 0, 7.5, -1, '', 'x', true, false, [], ['x'], [1], {}, { a: 'b' }, { a: 1 }];

/** The valid extremes: the full file, and one with every optional field absent. */
function validFiles(): Mutation[] {
  return [
    { name: 'unchanged', json: full() },
    {
      name: 'minimal (optional fields absent)',
      json: {
        version: 1,
        tool: 'iap-auth0',
        createdAt: 'a',
        updatedAt: 'b',
        inputs: {
          project: 'p',
          region: 'r',
          service: 's',
          image: 'i',
          auth0Domain: 'd',
          pool: 'p',
          provider: 'p',
          oauthClient: 'o',
          allow: [],
          scope: 'project',
        },
      },
    },
  ];
}

/** Every value of the full file removed, and replaced by each wrong value. */
function removedOrWrong(): Mutation[] {
  const out: Mutation[] = [];
  for (const p of paths(full())) {
    const at = p.join('.');
    out.push({
      name: `${at} removed`,
      json: edit(p, (o, k) => {
        if (Array.isArray(o)) o.splice(Number(k), 1);
        else delete o[k];
      }),
    });
    for (const w of WRONG_VALUES)
      out.push({
        name: `${at} = ${JSON.stringify(w)}`,
        json: edit(p, (o, k) => {
          o[k] = structuredClone(w);
        }),
      });
  }
  return out;
}

/** Every object of the full file (and the top) given an unknown key, prototype names included. */
function unknownKeys(): Mutation[] {
  const out: Mutation[] = [];
  for (const p of [[], ...paths(full()).filter((p) => isObj(p.reduce((o: any, k) => o[k], full())))]) {
    for (const key of ['unknown', 'Status', '__proto__', 'constructor', 'prototype', 'toString']) {
      const json = structuredClone(full()) as any;
      const target = p.reduce((o: any, k) => o[k], json);
      Object.defineProperty(target, key, { value: 'x', enumerable: true, configurable: true, writable: true });
      out.push({ name: `${p.join('.') || '(top)'} + key ${key}`, json });
    }
  }
  return out;
}

/** Values that look right but are not: stage and status names, ids, scopes, versions, tools, shapes. */
function nearMisses(): Mutation[] {
  const out: Mutation[] = [];
  const at = (f: (s: any) => void, name: string) => {
    const s = structuredClone(full()) as any;
    f(s);
    out.push({ name, json: s });
  };
  for (const stage of ['Deploy', 'deploy ', 'iap', 'signin', ''])
    at((s) => {
      s.stages[stage] = { status: 'done' };
    }, `unknown stage "${stage}"`);
  for (const status of ['Done', 'complete', 'skipped', ' done', 'DESTROYED'])
    at((s) => {
      s.stages.deploy.status = status;
    }, `bad status "${status}"`);
  for (const id of [
    'ABCD2345',
    'abcd234',
    'abcd23456',
    'abcd2341',
    'abcd-345',
    'abcd 345',
    ' abcd2345',
    'abcd2345\n',
    'äbcd2345',
  ])
    at((s) => {
      s.setupId = id;
    }, `setup id "${id}"`);
  for (const scope of ['Service', 'org', 'projects'])
    at((s) => {
      s.inputs.scope = scope;
    }, `scope "${scope}"`);
  for (const version of [0, 2, '1', 1.5])
    at(
      (s) => {
        s.version = version;
      },
      `version ${JSON.stringify(version)}`,
    );
  for (const tool of ['iap-auth', 'IAP-AUTH0', 'terraform'])
    at((s) => {
      s.tool = tool;
    }, `tool "${tool}"`);
  at((s) => {
    s.stages = [];
  }, 'stages an empty array');
  at((s) => {
    s.stages.deploy.resources = [];
  }, 'resources an empty array');
  at((s) => {
    s.stages.deploy.resources = ['x'];
  }, 'resources an array');
  at((s) => {
    s.inputs = [];
  }, 'inputs an empty array');
  at((s) => {
    s.stages = { deploy: { status: 'done' } };
  }, 'one stage, maps absent');
  return out;
}

/** Every mutation, always in the same order (the file test samples every 7th). */
function mutations(): Mutation[] {
  const wholeFiles = [null, [], 'state', 1, true].map((top) => ({
    name: `whole file ${JSON.stringify(top)}`,
    json: top,
  }));
  return [...validFiles(), ...removedOrWrong(), ...unknownKeys(), ...nearMisses(), ...wholeFiles];
}

test('status and the schema give one verdict on every mutated state file, and the same state when valid', () => {
  const all = mutations();
  let valid = 0;
  for (const m of all) {
    const quick = quickState(m.json);
    const schema = v.safeParse(StateSchema, m.json);
    assert.equal(
      quick !== undefined,
      schema.success,
      `${m.name}: status says ${quick ? 'valid' : 'invalid'}, the schema ` +
        `${schema.success ? 'valid' : `invalid (${schema.issues[0].message})`}`,
    );
    if (schema.success) {
      valid++;
      assert.deepEqual(quick, schema.output, m.name);
    }
  }
  // Enough cases, of both kinds, for the comparison to mean something.
  assert.ok(all.length > 800, `${all.length} mutations`);
  assert.ok(valid > 20 && all.length - valid > 600, `${valid} valid, ${all.length - valid} invalid`);
});

test(
  'from the file: status reads exactly what init and ' + 'verify read, and refuses exactly what they refuse',
  async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-rules-'));
    const sample = mutations().filter((_, i) => i % 7 === 0);
    for (const [i, m] of sample.entries()) {
      const file = path.join(dir, `${i}.json`);
      await writeFile(file, JSON.stringify(m.json));
      const [byStatus, byVerify] = await Promise.allSettled([readStateQuick(file), readState(file)]);
      assert.equal(byStatus.status, byVerify.status, m.name);
      if (byStatus.status === 'fulfilled' && byVerify.status === 'fulfilled')
        assert.deepEqual(byStatus.value, byVerify.value, m.name);
      if (byStatus.status === 'rejected' && byVerify.status === 'rejected') {
        assert.ok(byStatus.reason instanceof StateError, m.name);
        assert.equal(byStatus.reason.message, (byVerify.reason as StateError).message, m.name);
      }
    }
  },
);
