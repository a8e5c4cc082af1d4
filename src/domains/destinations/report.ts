import { excerptOf } from '../deliveries/http/send-request.ts';
import type { AttemptErrorClass } from '../deliveries/attempt.entity.ts';
import type { AttemptReport, ConnectionChange, Verdict } from './destination-kind.ts';
import type { VendorExchange } from './http/vendor-client.ts';

/** How a kind classified one answer; the request's facts come from the exchange. */
export interface Classification {
  verdict: Verdict;
  connection?: ConnectionChange;
  vendorCode?: string;
  errorClass?: AttemptErrorClass;
  error?: string;
}

/** The report of one exchange, classified. */
export function reportOf(exchange: VendorExchange, classification: Classification): AttemptReport {
  return {
    ...classification,
    method: exchange.method,
    url: exchange.url,
    startedAt: exchange.startedAt,
    durationMs: exchange.durationMs,
    requestHeaders: exchange.requestHeaders,
    ...(exchange.requestBody !== undefined && { requestBody: exchange.requestBody }),
    ...(exchange.statusCode !== undefined && { statusCode: exchange.statusCode }),
    ...(exchange.body !== undefined && { responseExcerpt: excerptOf(exchange.body) }),
  };
}

/**
 * The classification of a request that got no complete answer: a timeout, a DNS or connect
 * failure, a reset. All are worth retrying, DNS failures included. Undefined when an answer came.
 */
export function transportFailure(exchange: VendorExchange): Classification | undefined {
  if (exchange.statusCode !== undefined) return undefined;
  return { verdict: { kind: 'retry' }, errorClass: exchange.errorClass ?? 'NETWORK', error: exchange.error ?? 'no answer' };
}

/**
 * The masked form of a credential: its last four characters after an ellipsis, and a prefix
 * that says what it is (`xoxb-…k9Zq`) when it has one. Short values show nothing of themselves.
 */
export function credentialHint(secret: string, prefix = ''): string {
  const tail = secret.length >= 16 ? secret.slice(-4) : '';
  return `${secret.startsWith(prefix) ? prefix : ''}…${tail}`;
}

/** Milliseconds left of a deadline started now, for actions that make several requests. */
export function deadline(timeoutMs: number): () => number {
  const end = Date.now() + timeoutMs;
  return () => Math.max(1, end - Date.now());
}
