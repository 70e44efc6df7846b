// A CoreContext wired to a sandbox, for stage tests: inputs derived as init would derive them, a
// temporary state file, and every event collected.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Sandbox } from '../../src/sandbox/index.js';
import { createContext } from '../../src/core/create-context.js';
import { StateHandle } from '../../src/core/state-handle.js';
import { runStages, type Stage, type StageResult } from '../../src/core/stage.js';
import type { CoreContext, ResolvedInputs } from '../../src/core/context.js';
import type { CoreEvent } from '../../src/core/events.js';
import { derivedIds } from '../../src/inputs/schema.js';
import { STATE_VERSION } from '../../src/state/schema.js';
import { newSetupId } from '../../src/core/ownership.js';

export interface TestContext {
  ctx: CoreContext;
  events: CoreEvent[];
  state: StateHandle;
  stateFile: string;
}

export async function makeContext(
  sb: Sandbox,
  overrides: Partial<ResolvedInputs> = {},
  stateFile?: string,
): Promise<TestContext> {
  const service = overrides.service ?? 'hello';
  const project = sb.env.GOOGLE_CLOUD_PROJECT;
  const region = overrides.region ?? 'europe-west1';
  const ids = derivedIds(project, region, service);
  const inputs: ResolvedInputs = {
    project,
    projectNumber: sb.world.mainProject.projectNumber,
    organization: sb.world.organization.id,
    region,
    service,
    setupId: newSetupId(),
    image: 'us-docker.pkg.dev/cloudrun/container/hello',
    auth0Domain: sb.env.AUTH0_DOMAIN,
    pool: ids.pool,
    provider: ids.provider,
    oauthClient: ids.oauthClient,
    allow: ['pool'],
    scope: 'service',
    adopt: false,
    ...overrides,
  };
  const file =
    stateFile ?? path.join(await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-core-')), '.iap-auth0', 'state.json');
  const { adopt: _a, projectNumber: _n, organization: _o, setupId, deployImage: _d, ...recorded } = inputs;
  const now = new Date().toISOString();
  const state = new StateHandle(file, {
    version: STATE_VERSION,
    tool: 'iap-auth0',
    createdAt: now,
    updatedAt: now,
    setupId,
    inputs: { ...recorded, projectNumber: inputs.projectNumber, organization: inputs.organization },
    stages: {},
  });
  const events: CoreEvent[] = [];
  const ctx = createContext({
    env: sb.env,
    inputs,
    state,
    emit: (e) => events.push(e),
    signal: new AbortController().signal,
  });
  return { ctx, events, state, stateFile: file };
}

/** Runs some stages (the others count as done) and fails the test on any stage error. */
export async function runOk(t: TestContext, stages: Stage[]): Promise<StageResult[]> {
  const results = await runStages(stages, t.ctx);
  const bad = results.filter((r) => !r.ok);
  if (bad.length) throw new Error(bad.map((r) => `${r.id}: ${(r.error as Error)?.stack ?? r.error}`).join('\n'));
  return results;
}
