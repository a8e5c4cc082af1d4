// A webhook receiver for the tour: prints each request's Standard Webhooks headers, verifies its
// signature with the SDK, and answers STATUS (200 unless set; STATUS=500 makes deliveries fail).
import { createServer } from 'node:http';
import { buffer } from 'node:stream/consumers';
import { verifyWebhook } from '../sdk/src/index.ts';

const secret = process.env.SIGNING_SECRET ?? '';
const status = Number(process.env.STATUS ?? 200);
const port = Number(process.env.RECEIVER_PORT ?? 8080);

createServer(async (request, response) => {
  const body = await buffer(request);
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => name.startsWith('webhook-')));
  console.log(`${request.method} ${request.url}`, headers);
  try {
    console.log('  signature verified:', JSON.stringify(verifyWebhook(body, request.headers, secret)), `-> ${status}`);
    response.writeHead(status).end();
  } catch (error) {
    console.log('  refused:', (error as Error).message, '-> 400');
    response.writeHead(400).end();
  }
}).listen(port, '127.0.0.1', () => console.log(`Receiving on http://127.0.0.1:${port}/hooks, answering ${status}`));
