import Fastify from 'fastify';
import { iapFastifyHook } from 'iap-auth0-identity';

const app = Fastify();
app.addHook('onRequest', iapFastifyHook()); // answers 401 JSON before your handler runs
app.get('/', async (request) => `Hello ${request.iapIdentity.email}`);
await app.listen({ port: Number(process.env.PORT ?? 8080), host: '0.0.0.0' });
