import { z } from 'zod';
import type { VendorPolicy } from '../destinations/destination-kind.ts';
import type { Issue } from '../errors.ts';
import { DEFAULT_TIMEOUT_SECONDS, type Connection } from './connection.entity.ts';

const WEEK = 7 * 24 * 3600;

/** Delivery policy fields of `createConnection` and `updateConnection`; `null` means "back to the default". */
export const policyFields = {
  retryScheduleSeconds: z
    .array(z.number().min(0, 'must be 0 or more').max(WEEK, `must be at most ${WEEK} (7 days)`))
    .min(1, 'must have at least one attempt')
    .max(20, 'must have at most 20 attempts')
    .nullish(),
  timeoutSeconds: z.number().min(1, 'must be at least 1').max(60, 'must be at most 60').nullish(),
  rateLimitPerSecond: z.number().gt(0, 'must be more than 0').max(10_000, 'must be at most 10000').nullish(),
  maxConcurrency: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').nullish(),
  ordered: z.boolean().nullish(),
};

export type Policy = { [K in keyof typeof policyFields]?: z.infer<(typeof policyFields)[K]> };

/**
 * The vendor's limits a policy input exceeds: a connection may lower its kind's rate limit and
 * concurrency, never raise them past what the vendor documents.
 */
export function policyIssues(input: Policy, vendor: VendorPolicy): Issue[] {
  const issues: Issue[] = [];
  const over = (field: 'rateLimitPerSecond' | 'maxConcurrency') => {
    const given = input[field];
    const limit = vendor[field];
    if (given != null && limit !== undefined && given > limit) {
      issues.push({ path: ['input', field], message: `must be at most ${limit}: ${vendor.reason ?? 'the vendor allows no more'}` });
    }
  };
  over('rateLimitPerSecond');
  over('maxConcurrency');
  return issues;
}

/**
 * Writes the policy fields that are present. `null` restores the default, which for the rate
 * limit and the concurrency is the vendor's (Slack's one message a second, say), and for a
 * webhook none. A new connection (`creating`) takes the vendor's defaults for fields left out.
 */
export function applyPolicy(connection: Connection, input: Policy, vendor: VendorPolicy, creating = false): void {
  const vendorDefault = (field: 'rateLimitPerSecond' | 'maxConcurrency') => {
    const given = input[field];
    if (given !== undefined || creating) connection[field] = given ?? vendor[field] ?? null;
  };
  if (input.retryScheduleSeconds !== undefined) connection.retryScheduleSeconds = input.retryScheduleSeconds;
  if (input.timeoutSeconds !== undefined) connection.timeoutSeconds = input.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  vendorDefault('rateLimitPerSecond');
  vendorDefault('maxConcurrency');
  if (input.ordered !== undefined) connection.ordered = input.ordered ?? false;
}
