import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Verifies a webhook Switchyard sent, per the Standard Webhooks spec: `webhook-signature` holds
 * space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` signatures (several while a
 * secret is being rotated); any one made with any of your secrets is accepted.
 */

export interface VerifyOptions {
  /** Largest difference between `webhook-timestamp` and now, either way, in seconds. (Default: 300) */
  toleranceSeconds?: number;
  /** The time to check against. (Default: now) */
  now?: Date;
}

/** Why verification failed; `reason` is stable for code, `message` is for people. */
export type WebhookVerificationFailure =
  | 'MISSING_HEADERS'
  | 'INVALID_TIMESTAMP'
  | 'TIMESTAMP_TOO_OLD'
  | 'TIMESTAMP_IN_FUTURE'
  | 'INVALID_SECRET'
  | 'NO_MATCHING_SIGNATURE'
  | 'INVALID_BODY';

export class WebhookVerificationError extends Error {
  readonly reason: WebhookVerificationFailure;
  constructor(reason: WebhookVerificationFailure, message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
  }
}

/** Fetch `Headers`, or Node's `IncomingHttpHeaders` (lower-case names, values maybe arrays). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

const SECRET_PREFIX = 'whsec_';

/**
 * Checks the signature and timestamp of a webhook and returns its parsed JSON body. Pass the raw
 * body exactly as received (a re-serialised JSON object will not match). Throws
 * `WebhookVerificationError`.
 */
export function verifyWebhook<T = unknown>(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  options: VerifyOptions = {},
): T {
  const { toleranceSeconds = 300, now = new Date() } = options;
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError('MISSING_HEADERS', 'The webhook-id, webhook-timestamp and webhook-signature headers are required');
  }

  if (!/^\d{1,15}$/.test(timestamp)) {
    throw new WebhookVerificationError('INVALID_TIMESTAMP', 'webhook-timestamp is not a Unix time in seconds');
  }
  const drift = Math.floor(now.getTime() / 1000) - Number(timestamp);
  if (drift > toleranceSeconds) {
    throw new WebhookVerificationError('TIMESTAMP_TOO_OLD', `The webhook is ${drift} s old, more than the ${toleranceSeconds} s tolerated`);
  }
  if (-drift > toleranceSeconds) {
    throw new WebhookVerificationError('TIMESTAMP_IN_FUTURE', `The webhook is dated ${-drift} s ahead, more than the ${toleranceSeconds} s tolerated`);
  }

  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), body]);
  const expected = (typeof secret === 'string' ? [secret] : secret).map((one) => createHmac('sha256', secretKey(one)).update(signed).digest());
  if (expected.length === 0) throw new WebhookVerificationError('INVALID_SECRET', 'No secret to verify with');

  const matched = signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',', 2);
    if (version !== 'v1' || !signature) return false;
    const given = Buffer.from(signature, 'base64');
    // Every secret is compared, without stopping at the first match, in constant time each.
    return expected.reduce((found, digest) => (given.length === digest.length && timingSafeEqual(given, digest)) || found, false);
  });
  if (!matched) throw new WebhookVerificationError('NO_MATCHING_SIGNATURE', 'No v1 signature matches the body with the given secret(s)');

  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw new WebhookVerificationError('INVALID_BODY', 'The signed body is not JSON');
  }
}

function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0 || key.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
    throw new WebhookVerificationError('INVALID_SECRET', 'The secret is not "whsec_" followed by base64');
  }
  return key;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const value = record[name] ?? Object.entries(record).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value[0] : value;
}
