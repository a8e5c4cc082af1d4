import type { EndpointSummaryFragment, UpdateConnectionInput } from '../api/generated.ts';

/** The credential an endpoint of a vendor kind can be given anew, as "Edit endpoint" asks for it. */
export interface NewCredential {
  label: string;
  /** The input path its server errors come back under (FieldErrors' key). */
  errorKey: string;
  input(value: string): Pick<UpdateConnectionInput, 'slack' | 'mailchimp' | 'hubspot'>;
}

/**
 * What replaces an endpoint's credentials: a Slack bot's token or incoming webhook URL, a
 * HubSpot private app token, a Mailchimp API key. Null for a webhook, whose secret is rotated
 * instead, and for an OAuth endpoint, which is reconnected. New credentials
 * release the deliveries of an endpoint that waits for them ("Needs reconnecting").
 */
export function newCredential(endpoint: Pick<EndpointSummaryFragment, 'slack' | 'mailchimp' | 'hubspot'>): NewCredential | null {
  // An OAuth endpoint is given new tokens by reconnecting, not by typing them.
  if (endpoint.slack?.mode === 'OAUTH' || endpoint.hubspot?.auth === 'OAUTH') return null;
  if (endpoint.hubspot) return { label: 'New private app token', errorKey: 'hubspot.accessToken', input: (accessToken) => ({ hubspot: { accessToken } }) };
  if (endpoint.slack?.mode === 'BOT') return { label: 'New bot token', errorKey: 'slack.botToken', input: (botToken) => ({ slack: { botToken } }) };
  if (endpoint.slack) return { label: 'New webhook URL', errorKey: 'slack.webhookUrl', input: (webhookUrl) => ({ slack: { webhookUrl } }) };
  if (endpoint.mailchimp) return { label: 'New API key', errorKey: 'mailchimp.apiKey', input: (apiKey) => ({ mailchimp: { apiKey } }) };
  return null;
}
