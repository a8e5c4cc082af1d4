import type { IncomingMessage } from 'node:http';

/** The largest request body the API takes: graphql-yoga's own default, stated so both readers share it. */
export const MAX_REQUEST_BODY_BYTES = 25_000_000;

/** yoga's rule for a Content-Length (useLimitRequestBodySize): one non-negative integer. */
const CONTENT_LENGTH = /^\d+$/;

/** yoga's rule for a JSON request (isPOSTJsonRequest): the first type listed, parameters aside. */
function isJson(contentType: string | undefined): boolean {
  const first = contentType?.split(',', 1)[0];
  if (!first) return false;
  return first === 'application/json' || first.startsWith('application/json;') || first === 'application/graphql+json' || first.startsWith('application/graphql+json;');
}

/**
 * What `req.body` hands @whatwg-node/server: a parsed object or array it passes to yoga as is, or,
 * for anything it would not take as parsed (invalid JSON, a scalar, `{}`, `[]`), the bytes
 * themselves, which yoga then reads and refuses exactly as it reads a body it streams.
 */
function bodyOf(bytes: Buffer): unknown {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf-8'));
  } catch {
    return bytes;
  }
  // @whatwg-node/server's own test of a parsed body: a non-null object with a key, or a non-empty array.
  return value !== null && typeof value === 'object' && Object.keys(value).length > 0 ? value : bytes;
}

/**
 * Reads the body of a JSON POST whose stated length is within the limit straight from the Node
 * request, and parses it into `req.body`: @whatwg-node/server then gives yoga a request whose
 * `json()` is that value (its `normalizeNodeRequest`, as for a body parsed by Express), and yoga
 * checks what it got as it checks a body it reads itself. That spares each emit the fetch body
 * stream, the body limit's byte-counting stream and their decoding.
 *
 * Null for any other request (no or an over-long Content-Length, chunked, another content type),
 * which yoga reads itself as before. Node's parser delivers no more than the stated length, so at
 * most `limit` bytes are held; the promise is false when the client leaves before the body ends.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<boolean> | null {
  const stated = req.headers['content-length'];
  if (req.method !== 'POST' || stated === undefined || req.headers['transfer-encoding'] !== undefined || !isJson(req.headers['content-type'])) return null;
  if (!CONTENT_LENGTH.test(stated)) return null;
  const length = Number(stated);
  if (length === 0 || length > limit) return null;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => void chunks.push(chunk));
    req.once('end', () => {
      (req as IncomingMessage & { body?: unknown }).body = bodyOf(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      resolve(true);
    });
    // A client that leaves mid-body: 'error' (ECONNRESET), then 'close'; after 'end' it changes nothing.
    req.once('error', () => resolve(false));
    req.once('close', () => resolve(false));
  });
}
