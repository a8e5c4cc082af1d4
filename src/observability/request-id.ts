import { randomBytes } from 'node:crypto';

/** What a caller's `x-request-id` may look like to be kept: short, and safe in a log line. */
const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id of an incoming request: the caller's `x-request-id` when it is one (a proxy or
 * the product's own tracing set it), a new random one otherwise.
 */
export function requestIdOf(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given && ACCEPTED.test(given) ? given : newRequestId();
}

/** 16 random hex characters: unique enough to find one request's lines. */
export function newRequestId(): string {
  return randomBytes(8).toString('hex');
}
