import type { EntityManager } from '@mikro-orm/postgresql';
import { loadBatched } from './batched.ts';
import { builder } from './builder.ts';
import { ConnectionRef } from './connections.ts';
import { credentialHints } from '../domains/connections/connection-settings.ts';
import type { Connection } from '../domains/connections/connection.entity.ts';
import { STATUSES_IF_NEW, type MailchimpConfig } from '../domains/destinations/mailchimp/mailchimp-settings.ts';
import type { SlackConfig } from '../domains/destinations/slack/slack-settings.ts';

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
    BOT: { description: 'With a bot token, through chat.postMessage, to `channel`.' },
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

builder.objectFields(ConnectionRef, (t) => ({
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
    'Settings of a SLACK connection: `webhookUrl` for an incoming webhook, or `botToken` and `channel` for chat.postMessage. ' +
    'On update, fields left out keep their values, a masked value sent back keeps the stored one, and the other mode\'s fields switch mode.',
  fields: (t) => ({
    webhookUrl: t.string({ description: 'An incoming webhook URL; it must start with SWITCHYARD_SLACK_WEBHOOK_BASE_URL (https://hooks.slack.com).' }),
    botToken: t.string({ description: 'A bot token, "xoxb-...", with the chat:write scope.' }),
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
