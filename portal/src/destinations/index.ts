import { hubspotKind } from './hubspot.tsx';
import { mailchimpKind } from './mailchimp.tsx';
import { salesforceKind } from './salesforce.tsx';
import { slackKind } from './slack.tsx';
import { webhookKind } from './webhook.tsx';

/**
 * Every kind of destination the server can deliver to, in the order "Add endpoint" offers them.
 * Those that connect through OAuth (HubSpot, Salesforce, Slack's "Add to Slack") are created
 * waiting, and the customer is sent to the provider's consent page next (oauth-consent.ts).
 */
export const DESTINATIONS = [webhookKind, slackKind, hubspotKind, salesforceKind, mailchimpKind] as const;

export type SomeDestination = (typeof DESTINATIONS)[number];
