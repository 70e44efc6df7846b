import express from 'express';
import { iapMiddleware } from 'iap-auth0-identity';

const app = express();
app.use(iapMiddleware()); // 401 JSON for any request without a valid IAP assertion
app.get('/', (req, res) => res.send(`Hello ${req.iapIdentity.email}`));
app.listen(Number(process.env.PORT ?? 8080));
