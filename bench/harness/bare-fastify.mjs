// The ceiling for every request: a bare Fastify route answering {} to any POST, in its own
// process, loaded by the same generator as Tobira. Plain JavaScript run by node (no tsx), so that
// its cold start is also the floor for Tobira's. Argument: the port. Prints "listening" when ready.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
// Tobira's requests are application/x-amz-json-1.1: read them as text, as any body, and answer {}.
app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
app.post('/', async () => ({}));
app.get('/health', async () => ({}));
await app.listen({ port: Number(process.argv[2]), host: '127.0.0.1' });
console.log('listening');
