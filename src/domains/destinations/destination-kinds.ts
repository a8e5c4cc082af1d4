import type { ConnectionKind } from '../connections/connection.entity.ts';
import type { DestinationKind } from './destination-kind.ts';
import { hubspotKind } from './hubspot/hubspot-kind.ts';
import { mailchimpKind } from './mailchimp/mailchimp-kind.ts';
import { salesforceKind } from './salesforce/salesforce-kind.ts';
import { slackKind } from './slack/slack-kind.ts';
import { webhookKind } from './webhook/webhook-kind.ts';

/** A kind whose settings and inputs are not known statically: how the engine and the API see one. */
export type AnyDestinationKind = DestinationKind<unknown, unknown, unknown>;

/** Every kind that can be delivered to, by connection kind. */
const KINDS: Record<ConnectionKind, AnyDestinationKind> = {
  WEBHOOK: webhookKind as AnyDestinationKind,
  SLACK: slackKind as AnyDestinationKind,
  HUBSPOT: hubspotKind as AnyDestinationKind,
  SALESFORCE: salesforceKind as AnyDestinationKind,
  MAILCHIMP: mailchimpKind as AnyDestinationKind,
};

/** The module of `kind`, or undefined when that kind cannot be delivered to yet. */
export function destinationKind(kind: ConnectionKind): AnyDestinationKind | undefined {
  return KINDS[kind];
}

/** Kinds that can be delivered to, in the enum's order. */
export const DELIVERABLE_KINDS = Object.keys(KINDS) as ConnectionKind[];
