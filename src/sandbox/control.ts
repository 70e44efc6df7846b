// The inspection and control endpoint (IAP_AUTH0_SANDBOX_URL). Not part of any real service:
// tests use it to see every resource, count requests, move the clock, change faults and mint
// restricted tokens. It needs no token but listens on loopback only.
//   GET  /world                 every resource, secrets removed
//   GET  /requests[?since=SEQ]  the request log (api, method, path, status, mutating)
//   POST /clock   {"advance":"31d"}
//   POST /faults  {"spec":"all=0.3","seed":7}
//   POST /emulation {"signinHops":"chooser","iapServiceSettings":"ignored"}  (either key; see World.emulation)
//   POST /tokens  {"deny":["iam.workforcePools.create"]} -> {"token":"…"}
//   POST /iam-policy {"resource":"run:projects/N/locations/R/services/S","policy":{…}}  (another client's edit)
//   POST /race {"resource":"iap:projects/N/iap_web/…","role":"roles/…","member":"user:…"}  another
//                                            admin's edit landing right after the next read of that
//                                            policy, so the reader's write meets a stale etag
//   POST /kill-after {"count":3,"pid":1234}  SIGKILL that process right after the 3rd successful
//                                            mutating request from now (crash testing)
import type http from 'node:http';
import { randomBytes } from 'node:crypto';
import { readBody, send, parseBody } from './core/http.js';
import { parseDuration } from './core/clock.js';
import { FaultInjector, parseFaultSpec } from './core/faults.js';
import { emulationFrom, type World } from './world.js';

export function controlHandler(world: World): http.RequestListener {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    try {
      const body = parseBody(await readBody(req), req.headers['content-type']);
      const key = `${req.method} ${url.pathname}`;
      if (key === 'GET /world') return send(res, { json: world.snapshot() });
      if (key === 'GET /requests') {
        const since = Number(url.searchParams.get('since') ?? 0);
        return send(res, { json: { requests: world.requests.filter((r) => r.seq > since) } });
      }
      if (key === 'POST /clock') {
        world.clock.advance(parseDuration(String(body.advance ?? '0ms')));
        return send(res, { json: { now: world.clock.iso() } });
      }
      if (key === 'POST /faults') {
        const next = new FaultInjector(parseFaultSpec(String(body.spec ?? '')), Number(body.seed ?? 1));
        Object.assign(world.faults, next);
        return send(res, { json: { faults: world.faults.spec } });
      }
      if (key === 'POST /emulation') {
        world.emulation = emulationFrom(body, world.emulation);
        return send(res, { json: { emulation: world.emulation } });
      }
      if (key === 'POST /tokens') {
        const token = 'ya29.sandbox-' + randomBytes(18).toString('base64url');
        world.issuedSecrets.add(token);
        world.googleTokens.set(token, {
          principal: String(body.principal ?? 'user:restricted@sandbox.example'),
          deniedPermissions: new Set(body.deny ?? []),
        });
        return send(res, { json: { token } });
      }
      if (key === 'POST /iam-policy') {
        const current = world.policies.get(String(body.resource));
        const policy = world.policies.set(String(body.resource), {
          ...body.policy,
          etag: body.policy?.etag ?? current.etag,
        });
        return send(res, { json: policy });
      }
      if (key === 'POST /race') {
        const resource = String(body.resource ?? '');
        if (!/^(run|iap|crm):/.test(resource) || typeof body.role !== 'string' || typeof body.member !== 'string')
          throw new Error('give {"resource": "run:…|iap:…|crm:…", "role": "roles/…", "member": "user:…"}');
        const q = world.policyRaces.get(resource) ?? [];
        q.push({ role: body.role, member: body.member });
        world.policyRaces.set(resource, q);
        return send(res, { json: { queued: q.length } });
      }
      if (key === 'POST /kill-after') {
        if (!Number.isInteger(body.count) || body.count < 1 || !Number.isInteger(body.pid))
          throw new Error('give {"count": N >= 1, "pid": PID}');
        world.killAfter = { count: body.count, pid: body.pid, seen: 0 };
        return send(res, { json: { armed: true } });
      }
      send(res, { status: 404, json: { error: `unknown control endpoint ${key}` } });
    } catch (err) {
      send(res, { status: 400, json: { error: (err as Error).message } });
    }
  };
}
