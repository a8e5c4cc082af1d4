import type { DestinationKind } from '../destination-kind.ts';
import { JSON_HEADERS } from '../http/vendor-client.ts';
import { reportOf } from '../report.ts';
import { classifyWebApiAnswer, classifyWebhookAnswer } from './slack-answers.ts';
import { defaultSlackMessage, slackMessageFrom, type SlackMessage } from './slack-message.ts';
import { slackHints, slackSettingsSchema, webhookUrlHint, type SlackConfig, type SlackCredentials } from './slack-settings.ts';

/**
 * SLACK: a message in a channel, through an incoming webhook (`{ webhookUrl }`) or with a bot
 * token through `chat.postMessage` (`{ botToken, channel }`). The action input is a message
 * `{ text, blocks? }`; without a transform, a Block Kit rendering of the event. Slack documents
 * one message per second per webhook and per channel, so that is the default rate limit.
 */
export const slackKind: DestinationKind<SlackConfig, SlackCredentials, SlackMessage> = {
  kind: 'SLACK',
  inputField: 'slack',
  policy: { rateLimitPerSecond: 1, reason: 'Slack allows about one message per second per webhook and per channel' },
  signsRequests: false,

  settingsSchema: slackSettingsSchema,
  credentialHints: slackHints,

  actionInput(event, transformed) {
    return transformed ? slackMessageFrom(transformed.value) : defaultSlackMessage(event);
  },

  async perform(message, target) {
    const { webhookUrl, botToken } = target.credentials;
    if (target.config.mode === 'WEBHOOK' && webhookUrl) {
      const exchange = await target.http.send(
        {
          method: 'POST',
          url: webhookUrl,
          shownUrl: webhookUrlHint(webhookUrl),
          headers: { ...JSON_HEADERS },
          body: JSON.stringify(message),
          base: target.vendors.slackWebhooks,
        },
        target.timeoutMs,
      );
      return reportOf(exchange, classifyWebhookAnswer(exchange));
    }
    const exchange = await target.http.send(
      {
        method: 'POST',
        url: `${target.vendors.slackApi.url}/chat.postMessage`,
        headers: { ...JSON_HEADERS, authorization: `Bearer ${botToken ?? ''}` },
        body: JSON.stringify({ channel: target.config.channel, ...message }),
        base: target.vendors.slackApi,
      },
      target.timeoutMs,
    );
    return reportOf(exchange, classifyWebApiAnswer(exchange));
  },
};
