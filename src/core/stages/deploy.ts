// Stage 1: the Cloud Run service with native IAP. Enables the APIs, generates the IAP service
// agent (enabling IAP does not create it: "The IAP service account is not provisioned", peers
// P4), lets the IAP agent invoke the service (P3), and removes a public invoker: it would let
// *.run.app bypass IAP (P11). The service operation is recorded before it is polled, so a resumed
// run polls it instead of creating again (P20).
//
// Your app stays your app: on a service that exists, init changes only what IAP needs (IAP on,
// ingress all, the invoker check on), never the image, the runtime service account, the env or
// other containers; the image changes only when --image is given on that run. A new service gets
// a runtime service account of its own and the IAP_AUDIENCE variable. Ownership is read from the
// service's labels (managed-by, iap-auth0-setup, iap-auth0-shared) and description; a service
// someone else made is adopted only with --adopt, and then carries only an iap-auth0-shared label.
import { planRead } from '../google-call.js';
import { missingApis, enableApis } from '../apis.js';
import type { Stage } from '../stage.js';
import { stage, names } from './deploy/names.js';
import { decideDeploy } from './deploy/decide.js';
import { applyDeploy } from './deploy/apply.js';
import { verifyDeploy } from './deploy/verify.js';
import { destroyDeploy } from './deploy/destroy.js';

export const deployStage: Stage = {
  id: 'deploy',
  verify: verifyDeploy,
  owned: (recorded) => {
    const s = recorded.stage('deploy');
    const r = s.resources;
    const adopted = s.adopted?.includes('service');
    return [
      r.service &&
        (adopted
          ? `nothing of Cloud Run service ${r.service} (adopted): IAP settings it changed are put back, the ` +
            'service stays'
          : `Cloud Run service ${r.service}`),
      r.serviceAccount && !s.adopted?.includes('serviceAccount') && `service account ${r.serviceAccount}`,
    ].filter((x): x is string => !!x);
  },
  destroy: destroyDeploy,

  async read(ctx) {
    const n = names(ctx);
    const [missing, service] = await Promise.all([
      missingApis(ctx),
      planRead(ctx, () => ctx.google.run.projects.locations.services.get({ name: n.service })),
    ]);
    const [account, policy] = await Promise.all([
      service ? undefined : planRead(ctx, () => ctx.google.iam.projects.serviceAccounts.get({ name: n.saName })),
      service
        ? planRead(ctx, () =>
            ctx.google.run.projects.locations.services.getIamPolicy({
              resource: n.service,
              'options.requestedPolicyVersion': 3,
            }),
          )
        : undefined,
    ]);
    return () => {
      const d = decideDeploy(ctx, { missingApis: missing, service, account, policy });
      return {
        stage,
        changes: d.changes,
        prospects: { service: { uri: service?.uri ?? undefined } },
        apply: (c) => applyDeploy(c, d),
        shared: { apisReady: (c) => enableApis(c, d.apis) },
      };
    };
  },
};
