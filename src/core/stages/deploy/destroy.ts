// The deploy stage's destroy: what this setup created is deleted, what it shares is handed over or
// unshared, what it adopted gets IAP's fields back as they were (never public again).
import { gdata } from '../../google-call.js';
import { googleFailure, unlessNotFound } from '../../google-errors.js';
import { removeMembers } from '../../iam-policy.js';
import {
  decideFate,
  markedDescription,
  markedLabels,
  parseDescription,
  purposeOf,
  sameLabels,
  type Fate,
} from '../../ownership.js';
import { recordedAs } from '../../records.js';
import { serviceFate, serviceMarker } from '../../fates.js';
import type { CoreContext } from '../../context.js';
import { INVOKER, type Service, st, servicePurpose, saPurpose } from './names.js';
import { patchAndWait, waitGone, invokerPolicy } from './cloud-run.js';

/**
 * This setup's service: deleted (waiting until it is gone), with its runtime account. One that
 * another setup shares: handed over with its account. One this setup adopted: IAP's fields put
 * back as they were, except that a service is never made public again.
 */
export async function destroyDeploy(ctx: CoreContext): Promise<string> {
  const r = st(ctx).resources;
  const services = ctx.google.run.projects.locations.services;
  const step = (text: string) => ctx.emit({ type: 'step', stage: 'deploy', text });
  const done: string[] = [];
  const found = await serviceFate(ctx);
  const fate = found?.fate;
  if (r.service && !found) {
    // Gone, or a delete already under way (a run killed mid-way): wait for it to finish.
    await waitGone(ctx, r.service);
    done.push(`Cloud Run service ${r.service} was already gone`);
  } else if (fate?.fate === 'delete') {
    step(`deleting ${r.service}`);
    // A delete already under way answers 400 FAILED_PRECONDITION; the wait below covers both.
    await unlessNotFound(() => gdata(ctx, () => services.delete({ name: r.service }), 'deploy')).catch((e) => {
      if (googleFailure(e)?.status !== 'FAILED_PRECONDITION') throw e;
    });
    await waitGone(ctx, r.service);
    done.push(`deleted Cloud Run service ${r.service}`);
  } else if (fate?.fate === 'hand-over' || fate?.fate === 'unshare') {
    const s = found!.service;
    const body: Service = { labels: markedLabels(s.labels, fate.marker) };
    const mask = ['labels'];
    if (fate.fate === 'hand-over') {
      mask.push('description');
      body.description = markedDescription(
        { owner: fate.marker.owner, shared: [] },
        purposeOf(s.description) || servicePurpose(ctx),
        512,
      );
    }
    await patchAndWait(ctx, r.service, mask, body);
    done.push(
      fate.fate === 'hand-over'
        ? `kept Cloud Run service ${r.service}: handed over to iap-auth0 setup ${fate.to}, which still uses it`
        : `kept Cloud Run service ${r.service}: another setup's, no longer shared with this one`,
    );
  } else if (fate?.fate === 'release') {
    done.push(await releaseService(ctx, found!.service));
  } else if (fate?.fate === 'not-ours') {
    done.push(`kept Cloud Run service ${r.service}: another setup's, which no longer lists this one`);
  } else if (fate) {
    throw new Error(`the Cloud Run service ${r.service} no longer carries this setup's iap-auth0 marker: kept`);
  }
  // The runtime accounts: the one this setup recorded, and the one the service runs as (a service
  // handed over by another setup brings its account along), each only while it carries our marker.
  const accounts = new Set([
    ...(r.serviceAccount && !st(ctx).adopted?.includes('serviceAccount') ? [r.serviceAccount] : []),
    ...(fate?.fate === 'delete' || fate?.fate === 'hand-over'
      ? [found!.service.template?.serviceAccount].filter((x): x is string => !!x)
      : []),
  ]);
  for (const email of accounts) done.push(await destroyAccount(ctx, email, fate));
  return done.filter(Boolean).length ? done.filter(Boolean).join('; ') : 'nothing to delete';
}

/** Deletes a runtime account this setup owns, or hands it over with the service that runs as it. */
async function destroyAccount(ctx: CoreContext, email: string, serviceFate: Fate | undefined): Promise<string> {
  const sas = ctx.google.iam.projects.serviceAccounts;
  const name = `projects/${ctx.inputs.project}/serviceAccounts/${email}`;
  const sa = await unlessNotFound(() => gdata(ctx, () => sas.get({ name }), 'deploy'));
  if (!sa) return '';
  const fate = decideFate(
    parseDescription(sa.description),
    ctx.inputs.setupId,
    recordedAs(st(ctx), 'serviceAccount', email),
  );
  if (fate.fate === 'delete' && serviceFate?.fate === 'hand-over') {
    // The service keeps running as this account: it goes with the service to its new owner.
    await gdata(
      ctx,
      () =>
        sas.patch({
          name,
          requestBody: {
            serviceAccount: {
              description: markedDescription(
                { owner: serviceFate.to, shared: [] },
                purposeOf(sa.description) || saPurpose(ctx),
                256,
              ),
            },
            updateMask: 'description',
          },
        }),
      'deploy',
    );
    return `kept service account ${email}: handed over with the service`;
  }
  if (fate.fate === 'delete') {
    await unlessNotFound(() => gdata(ctx, () => sas.delete({ name }), 'deploy'));
    return `deleted service account ${email}`;
  }
  return recordedAs(st(ctx), 'serviceAccount', email)
    ? `kept service account ${email}: it does not carry this setup's marker`
    : '';
}

/** An adopted service: IAP's fields and the invoker grant put back as they were; never public again. */
async function releaseService(ctx: CoreContext, s: Service): Promise<string> {
  const name = st(ctx).resources.service;
  const prev = st(ctx).previous ?? {};
  const mask: string[] = [];
  const body: Service = {};
  if (prev.iapEnabled !== undefined && s.iapEnabled === true && prev.iapEnabled !== 'true') {
    mask.push('iapEnabled');
    body.iapEnabled = false;
  }
  if (prev.ingress && s.ingress === 'INGRESS_TRAFFIC_ALL' && prev.ingress !== 'INGRESS_TRAFFIC_ALL') {
    mask.push('ingress');
    body.ingress = prev.ingress;
  }
  const labels = markedLabels(
    s.labels,
    (() => {
      const m = serviceMarker(s);
      return m && { ...m, shared: m.shared.filter((x) => x !== ctx.inputs.setupId) };
    })(),
  );
  if (!sameLabels(labels, s.labels)) {
    mask.push('labels');
    body.labels = labels;
  }
  if (mask.length) {
    ctx.emit({
      type: 'step',
      stage: 'deploy',
      text: `putting back what iap-auth0 changed on ${name}: ${mask.join(', ')}`,
    });
    await patchAndWait(ctx, name, mask, body);
  }
  const agentGrants = (st(ctx).added ?? []).filter((m) => m.startsWith('serviceAccount:'));
  if (agentGrants.length && body.iapEnabled === false) {
    await removeMembers(invokerPolicy(ctx, name), INVOKER, agentGrants, ctx.signal);
  }
  const publicBefore = prev.invokerIamDisabled === 'true';
  return (
    `kept Cloud Run service ${name} (adopted, not created by iap-auth0): ` +
    (mask.filter((f) => f !== 'labels').length
      ? `put back ${mask.filter((f) => f !== 'labels').join(' and ')}`
      : "nothing of IAP's to put back") +
    (body.iapEnabled === false
      ? '; it stays private: iap-auth0 never makes a service public again' +
        (publicBefore ? ' (its invoker check was off before)' : '')
      : '')
  );
}
