import http from 'node:http';
import { iapMiddleware } from 'iap-auth0-identity';

const guard = iapMiddleware(); // calls the handler only for a valid IAP assertion, else answers 401 JSON
http
  .createServer((req, res) => guard(req, res, () => res.end(`Hello ${req.iapIdentity.email}`)))
  .listen(Number(process.env.PORT ?? 8080));
