import type { ConnectionChange, QuotaWait } from '../../destinations/destination-kind.ts';
import type { AttemptErrorClass } from '../attempt.entity.ts';

/**
 * What a failed attempt's answer means beyond "it failed": `retry` on the connection's schedule
 * (or after `retryAfterSeconds`), `rejected` for good (the delivery is dead at once: the same
 * input cannot succeed), `wait` for the connection (it was disabled or needs new credentials), or
 * `throttle`: the connection waits for its vendor's quota (`quota`), the attempt not counted.
 */
export type FailureKind = 'retry' | 'rejected' | 'wait' | 'throttle';

/** What one try produced: the destination kind's report of its request, or the rule's failed transform. */
export interface AttemptResult {
  ok: boolean;
  /** The request's method, PUT for a Mailchimp upsert, `-` when no request was made. (Default: POST) */
  method?: string;
  url: string;
  startedAt: Date;
  durationMs: number;
  statusCode?: number;
  /** The vendor's own error code or title, e.g. `channel_not_found`, `Member In Compliance State`. */
  vendorCode?: string;
  responseExcerpt?: string;
  retryAfterSeconds?: number;
  /** How long the connection waits, with `failure: 'throttle'`. */
  quota?: QuotaWait;
  errorClass?: AttemptErrorClass;
  error?: string;
  /** Set exactly when `ok` is false. */
  failure?: FailureKind;
  /** What the answer says about the connection: it is gone, or its credentials were refused. */
  connection?: ConnectionChange;
  /** The request's headers as recorded (credentials masked); absent when no request was made. */
  requestHeaders?: Record<string, string>;
  /** The body sent, when it cannot be rebuilt from the event (a transform's result, a vendor's request). */
  requestBody?: string;
}

/** One line for people: the error, or the status code the receiver answered. */
export function describeFailure(result: AttemptResult): string {
  if (result.error) return result.error;
  return `the receiver answered HTTP ${result.statusCode ?? '?'}`;
}
