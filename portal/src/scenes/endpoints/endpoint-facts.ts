import type { EndpointSummaryFragment } from '../../api/generated.ts';

/** An endpoint counts as failing from its third failed attempt in a row (the engine holds its new deliveries back then). */
export const FAILING_AFTER = 3;

export function isFailing(endpoint: Pick<EndpointSummaryFragment, 'consecutiveFailures'>): boolean {
  return endpoint.consecutiveFailures >= FAILING_AFTER;
}

/** Where an endpoint delivers, as one line: its URL for a webhook, the channel or audience for a vendor. */
export function endpointTarget(endpoint: Pick<EndpointSummaryFragment, 'kind' | 'webhook' | 'slack' | 'mailchimp' | 'hubspot' | 'salesforce'>): string {
  if (endpoint.webhook) return endpoint.webhook.url;
  if (endpoint.slack) return endpoint.slack.channel ? `Slack ${endpoint.slack.channel}` : `Slack ${endpoint.slack.webhookUrlHint ?? 'incoming webhook'}`;
  if (endpoint.hubspot) return endpoint.hubspot.action === 'SEND_EVENT' ? `HubSpot event ${endpoint.hubspot.eventName ?? ''}` : 'HubSpot contacts, by email';
  if (endpoint.salesforce) return `Salesforce ${endpoint.salesforce.sobject} by ${endpoint.salesforce.externalIdField}`;
  if (endpoint.mailchimp) return `Mailchimp audience ${endpoint.mailchimp.listId} (${endpoint.mailchimp.dataCenter})`;
  return endpoint.kind;
}
