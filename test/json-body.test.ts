import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { readJsonBody } from '../src/server/json-body.ts';
import { startTestServer } from './helpers/server.ts';

/**
 * What a client sees of the request body of a POST to the GraphQL endpoint, pinned to the byte:
 * the API reads JSON bodies itself, and nothing about them may look different for it.
 */
const server = await startTestServer();
const { hostname: host, port } = new URL(server.url);

async function post(body: string, headers: Record<string, string> = {}) {
  const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

/** Opens a connection to the API and writes `head` and `body` on it. */
async function open(head: string, body = '', at = Number(port)): Promise<Socket> {
  const socket = connect(at, host);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(head + body);
  return socket;
}

/** Everything the server writes on `socket` until it closes the connection. */
function untilClosed(socket: Socket): Promise<string> {
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  return new Promise((resolve) => socket.once('close', () => resolve(received)));
}

function head(contentLength: number | string, extra = ''): string {
  return `POST /graphql HTTP/1.1\r\nHost: ${host}:${port}\r\ncontent-type: application/json\r\ncontent-length: ${contentLength}\r\nconnection: close\r\n${extra}\r\n`;
}

/** A response as status line and body, without the headers that change (date, request id). */
function statusAndBody(response: string): string[] {
  return response.split(/\r\n\r\n/).map((part, index) => (index % 2 === 0 ? (part.split('\r\n')[0] ?? '') : part)).filter((part) => part !== '');
}

const TYPENAME = JSON.stringify({ query: '{ __typename }' });

describe('a JSON POST to the GraphQL endpoint', () => {
  it('runs the operation, whatever charset the content type names: the body is read as UTF-8', async () => {
    expect(await post(TYPENAME)).toEqual({ status: 200, type: 'application/json; charset=utf-8', body: '{"data":{"__typename":"Query"}}' });
    const echoed = JSON.stringify({ query: 'query ($x: Boolean!) { __typename @include(if: $x) }', variables: { x: 'déjà' } });
    const answers = [];
    for (const type of ['application/json; charset=utf-8', 'application/json;charset=iso-8859-1', 'application/json, text/plain']) {
      const response = await post(echoed, { 'content-type': type });
      answers.push({ type, status: response.status, message: JSON.parse(response.body).errors[0].message });
    }
    expect(answers).toMatchInlineSnapshot(`
      [
        {
          "message": "Variable "$x" got invalid value "déjà"; Boolean cannot represent a non boolean value: "déjà"",
          "status": 400,
          "type": "application/json; charset=utf-8",
        },
        {
          "message": "Variable "$x" got invalid value "déjà"; Boolean cannot represent a non boolean value: "déjà"",
          "status": 400,
          "type": "application/json;charset=iso-8859-1",
        },
        {
          "message": "Variable "$x" got invalid value "déjà"; Boolean cannot represent a non boolean value: "déjà"",
          "status": 400,
          "type": "application/json, text/plain",
        },
      ]
    `);
  });

  it('answers with the request id it was given', async () => {
    const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'req-json-body-1' }, body: TYPENAME });
    expect(response.headers.get('x-request-id')).toBe('req-json-body-1');
    expect(await response.text()).toBe('{"data":{"__typename":"Query"}}');
  });

  it('reads a body that arrives in pieces', async () => {
    const socket = await open(head(Buffer.byteLength(TYPENAME)), TYPENAME.slice(0, 5));
    const closed = untilClosed(socket);
    await new Promise((resolve) => setImmediate(resolve));
    socket.write(TYPENAME.slice(5));
    expect(statusAndBody(await closed)).toEqual(['HTTP/1.1 200 OK', '{"data":{"__typename":"Query"}}']);
  });

  it('takes a content type yoga does not match as one it does not support', async () => {
    expect(await post(TYPENAME, { 'content-type': 'Application/JSON' })).toEqual({ status: 415, type: null, body: '' });
    expect(await post(TYPENAME, { 'content-type': 'application/jsonx' })).toEqual({ status: 415, type: null, body: '' });
  });

  it('answers invalid JSON with 400 and BAD_REQUEST, a byte order mark included', async () => {
    expect(await post('{"query":')).toMatchInlineSnapshot(`
      {
        "body": "{"errors":[{"message":"POST body sent invalid JSON.","extensions":{"code":"BAD_REQUEST","originalError":{"name":"SyntaxError","message":"Unexpected end of JSON input, \\"{\\"query\\":\\" is not valid JSON"}}}]}",
        "status": 400,
        "type": "application/json; charset=utf-8",
      }
    `);
    expect(await post(`\uFEFF${TYPENAME}`)).toMatchInlineSnapshot(`
      {
        "body": "{"errors":[{"message":"POST body sent invalid JSON.","extensions":{"code":"BAD_REQUEST","originalError":{"name":"SyntaxError","message":"Unexpected token '﻿', \\"﻿{\\"query\\":\\"... is not valid JSON, \\"﻿{\\"query\\":\\"{ __typename }\\"}\\" is not valid JSON"}}}]}",
        "status": 400,
        "type": "application/json; charset=utf-8",
      }
    `);
  });

  it('answers a body that is not an object as yoga does: null, a number, a string, a boolean, arrays as batches, and {}', async () => {
    const answers = [];
    for (const body of ['null', '5', '"query"', 'true', '[]', `[${TYPENAME}]`, '{}', ' {"query": "{ __typename }"} ']) answers.push({ sent: body, ...(await post(body)) });
    expect(answers).toMatchInlineSnapshot(`
      [
        {
          "body": "{"errors":[{"message":"POST body is expected to be object but received null","extensions":{"code":"BAD_REQUEST"}}]}",
          "sent": "null",
          "status": 400,
          "type": "application/json; charset=utf-8",
        },
        {
          "body": "{"errors":[{"message":"POST body is expected to be object but received number","extensions":{"code":"BAD_REQUEST"}}]}",
          "sent": "5",
          "status": 400,
          "type": "application/json; charset=utf-8",
        },
        {
          "body": "{"errors":[{"message":"POST body is expected to be object but received string","extensions":{"code":"BAD_REQUEST"}}]}",
          "sent": ""query"",
          "status": 400,
          "type": "application/json; charset=utf-8",
        },
        {
          "body": "{"errors":[{"message":"POST body is expected to be object but received boolean","extensions":{"code":"BAD_REQUEST"}}]}",
          "sent": "true",
          "status": 400,
          "type": "application/json; charset=utf-8",
        },
        {
          "body": "{"errors":[{"message":"Batching is not supported.","extensions":{"code":"BAD_REQUEST"}}]}",
          "sent": "[]",
          "status": 400,
          "type": "application/json; charset=utf-8",
        },
        {
          "body": "{"errors":[{"message":"Batching is not supported.","extensions":{"code":"BAD_REQUEST"}}]}",
          "sent": "[{"query":"{ __typename }"}]",
          "status": 400,
          "type": "application/json; charset=utf-8",
        },
        {
          "body": "{"errors":[{"message":"Must provide query string.","extensions":{"code":"BAD_REQUEST"}}]}",
          "sent": "{}",
          "status": 200,
          "type": "application/json; charset=utf-8",
        },
        {
          "body": "{"data":{"__typename":"Query"}}",
          "sent": " {"query": "{ __typename }"} ",
          "status": 200,
          "type": "application/json; charset=utf-8",
        },
      ]
    `);
  });

  it('runs a large body alike', async () => {
    const padded = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(300_000) } });
    expect(await post(padded)).toEqual({ status: 200, type: 'application/json; charset=utf-8', body: '{"data":{"__typename":"Query"}}' });
  });

  it('refuses a stated Content-Length over the body limit with 413 before reading the body', async () => {
    const socket = await open(head(25_000_001), '{"query":');
    expect(statusAndBody(await untilClosed(socket))).toMatchInlineSnapshot(`
      [
        "HTTP/1.1 413 Payload Too Large",
        "{"errors":[{"message":"Request body too large","extensions":{"code":"REQUEST_ENTITY_TOO_LARGE"}}]}",
      ]
    `);
  });

  it('refuses a Content-Length that is not a number as the HTTP server does', async () => {
    const socket = await open(head('12x'), TYPENAME);
    expect(statusAndBody(await untilClosed(socket))).toMatchInlineSnapshot(`
      [
        "HTTP/1.1 400 Bad Request",
      ]
    `);
  });

  it('reads no more than the stated Content-Length: what follows is taken for the next request', async () => {
    const socket = await open(head(TYPENAME.length).replace('connection: close\r\n', ''), `${TYPENAME}{"more":1}`);
    expect(statusAndBody(await untilClosed(socket))).toMatchInlineSnapshot(`
      [
        "HTTP/1.1 400 Bad Request",
      ]
    `);
  });

  it('waits for a body shorter than stated without holding anything else up, and lets it go when the client gives up', async () => {
    const socket = await open(head(TYPENAME.length + 10), TYPENAME);
    const closed = untilClosed(socket);
    expect(await post(TYPENAME)).toMatchObject({ status: 200 });
    socket.end();
    expect(statusAndBody(await closed)).toMatchInlineSnapshot(`
      [
        "HTTP/1.1 400 Bad Request",
      ]
    `);
    expect(await post(TYPENAME)).toMatchObject({ status: 200 });
  });

  it('drops a body cut short by the client and serves the next request', async () => {
    for (let i = 0; i < 5; i++) {
      const socket = await open(head(TYPENAME.length + 10), TYPENAME);
      const closed = untilClosed(socket);
      socket.destroy();
      expect(await closed).toBe('');
    }
    expect(await post(TYPENAME)).toMatchObject({ status: 200 });
  });
});

describe('other requests to the GraphQL endpoint', () => {
  it('serves GET, multipart, SSE and an empty body as before', async () => {
    const get = await fetch(`${server.url}?query=${encodeURIComponent('{ __typename }')}`);
    expect({ status: get.status, body: await get.text() }).toEqual({ status: 200, body: '{"data":{"__typename":"Query"}}' });

    const form = new FormData();
    form.set('operations', TYPENAME);
    form.set('map', '{}');
    const multipart = await fetch(server.url, { method: 'POST', body: form });
    expect({ status: multipart.status, body: await multipart.text() }).toEqual({ status: 200, body: '{"data":{"__typename":"Query"}}' });

    const sse = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: TYPENAME });
    expect({ status: sse.status, type: sse.headers.get('content-type'), body: await sse.text() }).toMatchInlineSnapshot(`
      {
        "body": ":

      event: next
      data: {"data":{"__typename":"Query"}}

      event: complete
      data:

      ",
        "status": 200,
        "type": "text/event-stream",
      }
    `);

    expect(await post('')).toMatchInlineSnapshot(`
      {
        "body": "{"errors":[{"message":"POST body sent invalid JSON.","extensions":{"code":"BAD_REQUEST","originalError":{"name":"SyntaxError","message":"Unexpected end of JSON input, \\"\\" is not valid JSON"}}}]}",
        "status": 400,
        "type": "application/json; charset=utf-8",
      }
    `);
  });

  it('reads a chunked JSON body without Content-Length as before', async () => {
    const socket = await open(
      `POST /graphql HTTP/1.1\r\nHost: ${host}:${port}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n`,
      `${TYPENAME.length.toString(16)}\r\n${TYPENAME}\r\n0\r\n\r\n`,
    );
    expect(statusAndBody(await untilClosed(socket))).toMatchInlineSnapshot(`
      [
        "HTTP/1.1 200 OK",
        "{"data":{"__typename":"Query"}}",
      ]
    `);
  });
});

describe('reading a JSON body from the Node request', () => {
  /** A bare HTTP server that only reads bodies, 64 bytes at most, and reports what it read. */
  const reads: Promise<{ whole: boolean; body: unknown } | 'not read'>[] = [];
  const http = createServer((req, res) => {
    const read = readJsonBody(req, 64);
    reads.push(read ? read.then((whole) => ({ whole, body: (req as IncomingMessage & { body?: unknown }).body })) : Promise.resolve('not read'));
    void (read ?? Promise.resolve()).then(() => res.end());
  });
  afterAll(() => new Promise((resolve) => http.close(resolve)));

  it('gives an object or array parsed, anything else as its bytes, leaves other requests alone, and lets go of a client that leaves mid-body', async () => {
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const at = (http.address() as AddressInfo).port;
    const send = async (body: string, type = 'application/json') => {
      await fetch(`http://127.0.0.1:${at}/`, { method: 'POST', headers: { 'content-type': type }, body });
      return reads.at(-1);
    };
    expect(await send('{"query":"{ a }"}')).toEqual({ whole: true, body: { query: '{ a }' } });
    expect(await send('[{"query":"{ a }"}]', 'application/json; charset=utf-8')).toEqual({ whole: true, body: [{ query: '{ a }' }] });
    expect(await send('[]')).toEqual({ whole: true, body: Buffer.from('[]') });
    expect(await send('{"query":')).toEqual({ whole: true, body: Buffer.from('{"query":') });
    expect(await send('"a"')).toEqual({ whole: true, body: Buffer.from('"a"') });
    expect(await send(`{"pad":"${'x'.repeat(64)}"}`)).toBe('not read');
    expect(await send('{"query":"{ a }"}', 'text/plain')).toBe('not read');

    const socket = await open(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 40\r\n\r\n`, '{"query":', at);
    while (reads.length < 8) await new Promise((resolve) => setImmediate(resolve));
    socket.destroy();
    expect(await reads[7]).toEqual({ whole: false, body: undefined });
  });
});
