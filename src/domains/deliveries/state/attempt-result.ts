import type { AttemptErrorClass } from '../attempt.entity.ts';

/** What one try produced, from the HTTP layer or from evaluating the rule's transform. */
export interface AttemptResult {
  ok: boolean;
  url: string;
  startedAt: Date;
  durationMs: number;
  statusCode?: number;
  responseExcerpt?: string;
  retryAfterSeconds?: number;
  errorClass?: AttemptErrorClass;
  error?: string;
  /** The request's headers as recorded (credentials masked); absent when no request was made. */
  requestHeaders?: Record<string, string>;
  /** The body a transform produced; absent for the default body, which is rebuilt from the event. */
  requestBody?: string;
}

/** One line for people: the error, or the status code the receiver answered. */
export function describeFailure(result: AttemptResult): string {
  if (result.error) return result.error;
  return `the receiver answered HTTP ${result.statusCode ?? '?'}`;
}
