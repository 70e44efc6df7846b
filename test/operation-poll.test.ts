// An operation poll that meets SERVICE_DISABLED waits it out as every other Google call does, instead of failing the
// stage. Seen under load in the racing-inits test: two setups enabled IAM at once; the second enablement finished
// after the first setup had created its pool, which restarts the propagation window in the sandbox's realistic
// profile, and the first setup's poll of its pool operation failed on the first 403. Built here step by step on the
// sandbox's clock, with the product's generated clients and its poll (src/core/poll.ts, opReader).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSandbox, clientsFor, moveClock, googleError } from './helpers/sandbox.js';
import { pollOperation } from '../src/core/poll.js';
import { opReader } from '../src/core/google-call.js';
import type { CoreEvent } from '../src/core/events.js';

test('a pool operation polled while IAM is being enabled again completes; a bare poll fails on the 403', async () => {
  const sb = await useSandbox({ profile: 'realistic' });
  const c = clientsFor(sb, { quotaProject: 'sandbox-project' });
  const su = c.serviceusage.services;
  const iam = { parent: 'projects/415104041262', requestBody: { serviceIds: ['iam.googleapis.com'] } };
  await su.batchEnable(iam);
  await moveClock(sb, 1_600); // the enablement finishes: the propagation second starts now
  await moveClock(sb, 1_100);
  const pools = c.iam.locations.workforcePools;
  const op = (
    await pools.create({
      location: 'locations/global',
      workforcePoolId: 'poll-through-enabling',
      requestBody: { parent: 'organizations/123456789012', displayName: 'poll test' },
    })
  ).data;
  assert.equal(op.done ?? false, false, 'the create is a pending operation');
  // IAM switched off and on again while the create runs: the new enablement restarts the propagation window, as
  // a second setup's enablement finishing late does.
  await su.disable({ name: 'projects/415104041262/services/iam.googleapis.com' });
  await moveClock(sb, 1_600);
  assert.equal((await su.batchEnable(iam)).data.done ?? false, false, 'a real enablement, not a no-op');
  await moveClock(sb, 1_600); // enabled now; SERVICE_DISABLED for the next second
  const get = (name: string) => pools.operations.get({ name });

  const bare = await googleError(pollOperation(get, op));
  assert.equal(bare.code, 403, 'what the poll meets');
  assert.match(bare.message, /Identity and Access Management \(IAM\) API has not been used in project/);

  const events: CoreEvent[] = [];
  const ctx = { signal: new AbortController().signal, emit: (e: CoreEvent) => events.push(e), env: {} };
  const done = await pollOperation(opReader(ctx, get, 'workforce-pool'), op);
  assert.equal(done.done, true);
  assert.equal(done.error, undefined);
  assert.ok(
    events.some((e) => e.type === 'retry' && /API still being enabled/.test(e.text)),
    `said what it waited for: ${JSON.stringify(events)}`,
  );
});
