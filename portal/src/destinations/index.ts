import { mailchimpKind } from './mailchimp.tsx';
import { slackKind } from './slack.tsx';
import { webhookKind } from './webhook.tsx';

/**
 * Every kind of destination the server can deliver to today, in the order "Add endpoint"
 * offers them. The OAuth kinds join here (and in `SomeDestination`) once the server can
 * deliver to them.
 */
export const DESTINATIONS = [webhookKind, slackKind, mailchimpKind] as const;

export type SomeDestination = (typeof DESTINATIONS)[number];
