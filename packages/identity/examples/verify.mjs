import http from 'node:http';
import { IapAssertionError, verifyIapAssertion } from 'iap-auth0-identity';

// The check without middleware, for any framework: the caller, or why not (error.code).
http
  .createServer(async (req, res) => {
    try {
      const who = await verifyIapAssertion(req.headers['x-goog-iap-jwt-assertion']); // audience: env IAP_AUDIENCE
      res.end(`Hello ${who.email} (${who.principal})`);
    } catch (e) {
      if (!(e instanceof IapAssertionError)) throw e;
      res.writeHead(e.code === 'misconfigured' ? 500 : e.code === 'keys_unavailable' ? 503 : 401).end(e.code);
    }
  })
  .listen(Number(process.env.PORT ?? 8080));
