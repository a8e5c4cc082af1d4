import type { EntityManager } from '@mikro-orm/postgresql';
import { loadBatched } from './batched.ts';
import { builder } from './builder.ts';
import { ConnectionRef } from './connections.ts';
import { credentialHints } from '../domains/connections/connection-settings.ts';
import type { Connection } from '../domains/connections/connection.entity.ts';
import { STATUSES_IF_NEW, type MailchimpConfig } from '../domains/destinations/mailchimp/mailchimp-settings.ts';
import type { SlackConfig } from '../domains/destinations/slack/slack-settings.ts';
import { HUBSPOT_ACTIONS, type HubSpotConfig } from '../domains/destinations/hubspot/hubspot-settings.ts';
import type { SalesforceConfig } from '../domains/destinations/salesforce/salesforce-settings.ts';

/** A kind's visible settings beside the masked forms of its credentials. */
interface WithHints<C> {
  config: C;
  hints: Record<string, string>;
}

async function withHints<C>(connection: Connection, kind: Connection['kind'], em: EntityManager): Promise<WithHints<C> | null> {
  if (connection.kind !== kind) return null;
  return { config: connection.config as C, hints: (await loadBatched(em, credentialHints, connection.id)) ?? {} };
}

const SlackModeRef = builder.enumType('SlackMode', {
  description: 'How a SLACK connection posts.',
  values: {
    WEBHOOK: { description: 'Through an incoming webhook, to the channel it was made for.' },
    BOT: { description: 'With a bot token of its own, through chat.postMessage, to `channel`.' },
    OAUTH: { description: "Installed through Switchyard's Slack app (authorizeConnection): chat.postMessage to `channel` with the install's bot token, kept fresh." },
  } as const,
});

const HubSpotActionRef = builder.enumType('HubSpotAction', {
  description: 'What a HUBSPOT connection does with each delivery.',
  values: {
    UPSERT_CONTACT: { description: 'Creates or updates a contact by email; a backlog goes out in batch upserts of up to 100.' },
    SEND_EVENT: { description: 'Sends a custom event (`eventName`) about a contact, by email.' },
  } satisfies Record<(typeof HUBSPOT_ACTIONS)[number], object>,
});

const HubSpotAuthRef = builder.enumType('HubSpotAuth', {
  description: 'How a HUBSPOT connection authenticates.',
  values: {
    PRIVATE_APP: { description: 'With its own private app token.' },
    OAUTH: { description: "With tokens from a consent to the operator's HubSpot app (authorizeConnection), or from setConnectionCredentials, kept fresh." },
  } as const,
});

const MailchimpStatusIfNewRef = builder.enumType('MailchimpStatusIfNew', {
  description: 'The status a member gets when Mailchimp does not know the address yet.',
  values: Object.fromEntries(STATUSES_IF_NEW.map((status) => [status, {}])) as Record<(typeof STATUSES_IF_NEW)[number], object>,
});

const SlackConfigRef = builder.objectRef<WithHints<SlackConfig>>('SlackConfig').implement({
  description: 'Where and how a SLACK connection posts. Its credentials show only masked.',
  fields: (t) => ({
    mode: t.field({ type: SlackModeRef, resolve: ({ config }) => config.mode }),
    channel: t.string({ nullable: true, description: 'The channel a bot posts to; null for an incoming webhook.', resolve: ({ config }) => config.channel }),
    webhookUrlHint: t.string({
      nullable: true,
      description: 'The incoming webhook URL with its secret masked, e.g. "https://hooks.slack.com/services/T0001/B0002/…Xk9q".',
      resolve: ({ hints }) => hints.webhookUrl ?? null,
    }),
    botTokenHint: t.string({ nullable: true, description: 'The bot token masked, e.g. "xoxb-…k9Zq".', resolve: ({ hints }) => hints.botToken ?? null }),
  }),
});

const MailchimpConfigRef = builder.objectRef<WithHints<MailchimpConfig>>('MailchimpConfig').implement({
  description: 'The audience a MAILCHIMP connection adds and updates members in. Its API key shows only masked.',
  fields: (t) => ({
    listId: t.string({ description: 'The audience (list) id.', resolve: ({ config }) => config.listId }),
    dataCenter: t.string({ description: 'The data center of the API key, e.g. "us21".', resolve: ({ config }) => config.dataCenter }),
    statusIfNew: t.field({ type: MailchimpStatusIfNewRef, resolve: ({ config }) => config.statusIfNew }),
    tags: t.stringList({ description: 'Tags every member is given.', resolve: ({ config }) => config.tags }),
    apiKeyHint: t.string({ nullable: true, description: 'The API key masked but for its data center, e.g. "…ab12-us21".', resolve: ({ hints }) => hints.apiKey ?? null }),
  }),
});

const HubSpotConfigRef = builder.objectRef<WithHints<HubSpotConfig>>('HubSpotConfig').implement({
  description: 'What a HUBSPOT connection does and how it authenticates. A private app token shows only masked.',
  fields: (t) => ({
    action: t.field({ type: HubSpotActionRef, resolve: ({ config }) => config.action }),
    eventName: t.string({ nullable: true, description: "The custom event's internal name, for SEND_EVENT; null otherwise.", resolve: ({ config }) => config.eventName }),
    auth: t.field({ type: HubSpotAuthRef, resolve: ({ config }) => config.auth }),
    accessTokenHint: t.string({ nullable: true, description: 'The private app token masked, e.g. "pat-na1-…4a5b"; null for OAUTH.', resolve: ({ hints }) => hints.accessToken ?? null }),
  }),
});

const SalesforceConfigRef = builder.objectRef<WithHints<SalesforceConfig>>('SalesforceConfig').implement({
  description: 'The records a SALESFORCE connection upserts. It authenticates through OAuth; its tokens never show.',
  fields: (t) => ({
    sobject: t.string({ description: 'The object\'s API name, e.g. "Contact" or "Order__c".', resolve: ({ config }) => config.sobject }),
    externalIdField: t.string({ description: 'The external id field records are matched by, e.g. "External_Id__c".', resolve: ({ config }) => config.externalIdField }),
  }),
});

builder.objectFields(ConnectionRef, (t) => ({
  hubspot: t.field({
    type: HubSpotConfigRef,
    nullable: true,
    description: 'Settings of a HUBSPOT connection; null for other kinds.',
    resolve: (connection, _args, context) => withHints<HubSpotConfig>(connection, 'HUBSPOT', context.em),
  }),
  salesforce: t.field({
    type: SalesforceConfigRef,
    nullable: true,
    description: 'Settings of a SALESFORCE connection; null for other kinds.',
    resolve: (connection, _args, context) => withHints<SalesforceConfig>(connection, 'SALESFORCE', context.em),
  }),
  slack: t.field({
    type: SlackConfigRef,
    nullable: true,
    description: 'Settings of a SLACK connection; null for other kinds.',
    resolve: (connection, _args, context) => withHints<SlackConfig>(connection, 'SLACK', context.em),
  }),
  mailchimp: t.field({
    type: MailchimpConfigRef,
    nullable: true,
    description: 'Settings of a MAILCHIMP connection; null for other kinds.',
    resolve: (connection, _args, context) => withHints<MailchimpConfig>(connection, 'MAILCHIMP', context.em),
  }),
}));

export const SlackConfigInput = builder.inputType('SlackConfigInput', {
  description:
    'Settings of a SLACK connection: `webhookUrl` for an incoming webhook, `botToken` and `channel` for chat.postMessage, or `channel` ' +
    "alone to install the operator's Slack app through OAuth (the connection is NEEDS_REAUTH until authorizeConnection's consent). " +
    'On update, fields left out keep their values, a masked value sent back keeps the stored one, the other mode\'s fields switch mode, ' +
    'and `botToken: null` switches a bot to OAuth.',
  fields: (t) => ({
    webhookUrl: t.string({ description: 'An incoming webhook URL; it must start with SWITCHYARD_SLACK_WEBHOOK_BASE_URL (https://hooks.slack.com).' }),
    botToken: t.string({ description: 'A bot token, "xoxb-...", with the chat:write scope. (Default: none: the connection is installed through OAuth)' }),
    channel: t.string({ description: 'The channel a bot posts to: an id such as "C0123456789" or a name such as "#alerts".' }),
  }),
});

export const MailchimpConfigInput = builder.inputType('MailchimpConfigInput', {
  description: 'Settings of a MAILCHIMP connection. On update, fields left out keep their values and the masked key sent back keeps the stored one.',
  fields: (t) => ({
    apiKey: t.string({ description: 'A Marketing API key such as "0123...-us21": the part after the dash is the data center.' }),
    listId: t.string({ description: 'The audience (list) id, under Audience > Settings.' }),
    statusIfNew: t.field({ type: MailchimpStatusIfNewRef, description: 'The status of members new to the audience. (Default: SUBSCRIBED)' }),
    tags: t.stringList({ description: 'Tags every member is given, at most 50 of at most 100 characters. (Default: none; null removes them)' }),
  }),
});

export const HubSpotConfigInput = builder.inputType('HubSpotConfigInput', {
  description:
    "Settings of a HUBSPOT connection. Without `accessToken` it authenticates through OAuth and is NEEDS_REAUTH until authorized. " +
    'On update, fields left out keep their values, the masked token sent back keeps the stored one, and `accessToken: null` switches to OAuth.',
  fields: (t) => ({
    accessToken: t.string({ description: 'A private app token, "pat-na1-...", with the contacts (and, for SEND_EVENT, behavioral events) scopes. (Default: none: OAuth)' }),
    action: t.field({ type: HubSpotActionRef, description: 'What each delivery does. (Default: UPSERT_CONTACT)' }),
    eventName: t.string({ description: 'For SEND_EVENT, the custom event\'s internal name, e.g. "pe1234567_order_completed".' }),
  }),
});

export const SalesforceConfigInput = builder.inputType('SalesforceConfigInput', {
  description:
    'Settings of a SALESFORCE connection; it authenticates through OAuth (authorizeConnection, or setConnectionCredentials with your own tokens) ' +
    'and is NEEDS_REAUTH until then. On update, fields left out keep their values.',
  fields: (t) => ({
    sobject: t.string({ description: 'The object\'s API name, e.g. "Contact" or "Order__c". Required on create.' }),
    externalIdField: t.string({ description: 'The external id field records are upserted by, e.g. "External_Id__c". Required on create.' }),
  }),
});
