import { AuthorizeEndpointDocument, type EndpointSummaryFragment } from '../api/generated.ts';
import type { Api } from '../api/client.ts';
import { href } from '../router.ts';

/** Whether an endpoint authenticates through a consent at its provider rather than a credential typed here. */
export function connectsThroughOAuth(endpoint: Pick<EndpointSummaryFragment, 'kind' | 'slack' | 'hubspot'>): boolean {
  return endpoint.kind === 'SALESFORCE' || endpoint.hubspot?.auth === 'OAUTH' || endpoint.slack?.mode === 'OAUTH';
}

/** The provider's name, for buttons and notices: "HubSpot". */
export function providerName(kind: EndpointSummaryFragment['kind']): string {
  return kind === 'HUBSPOT' ? 'HubSpot' : kind === 'SALESFORCE' ? 'Salesforce' : 'Slack';
}

/**
 * Sends the customer to the provider's consent page for `endpointId`; the provider and Switchyard
 * send them back to that endpoint's page here, with the outcome in the query. Consent pages
 * refuse to be framed, so an embedded portal opens it in a new tab (which shares this one's
 * session storage, and so the session). Resolves with an error message when no consent could be
 * started.
 */
export async function startConsent(api: Api, endpointId: string): Promise<string | null> {
  const returnUrl = `${window.location.origin}${href({ screen: 'endpoint', id: endpointId })}`;
  const { authorizeConnection } = await api.request(AuthorizeEndpointDocument, { input: { connectionId: endpointId, returnUrl } });
  if (authorizeConnection.__typename !== 'AuthorizeConnectionPayload') return authorizeConnection.message;
  if (window.self !== window.top) window.open(authorizeConnection.authorizationUrl, '_blank');
  else window.location.assign(authorizeConnection.authorizationUrl);
  return null;
}

/**
 * The outcome a consent came back with (`?outcome=authorized|denied|failed&error=...`), said
 * once and taken off the address, so a reload or a bookmark does not say it again.
 */
export function takeConsentOutcome(kind: EndpointSummaryFragment['kind']): string | null {
  const query = new URLSearchParams(window.location.search);
  const outcome = query.get('outcome');
  if (!outcome) return null;
  history.replaceState(history.state, '', window.location.pathname);
  const provider = providerName(kind);
  if (outcome === 'authorized') return `Connected to ${provider}: deliveries go out now`;
  if (outcome === 'denied') return `Not connected: access was declined at ${provider}`;
  return `Not connected to ${provider}: ${query.get('error') ?? 'the authorization failed'}`;
}
