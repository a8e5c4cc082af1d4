import type { EndpointSummaryFragment } from '../../api/generated.ts';

/** An endpoint counts as failing from its third failed attempt in a row (the engine holds its new deliveries back then). */
export const FAILING_AFTER = 3;

export function isFailing(endpoint: Pick<EndpointSummaryFragment, 'consecutiveFailures'>): boolean {
  return endpoint.consecutiveFailures >= FAILING_AFTER;
}

/** Where an endpoint delivers, as one line: its URL for a webhook. */
export function endpointTarget(endpoint: Pick<EndpointSummaryFragment, 'kind' | 'webhook'>): string {
  return endpoint.webhook?.url ?? endpoint.kind;
}
