import type { DestinationKind } from '../destination-kind.ts';
import { JSON_HEADERS } from '../http/vendor-client.ts';
import { sendAuthorized } from '../http/authorized-call.ts';
import { deadline, reportOf } from '../report.ts';
import { classifyWebApiAnswer, classifyWebhookAnswer, refusesToken } from './slack-answers.ts';
import { defaultSlackMessage, slackMessageFrom, type SlackMessage } from './slack-message.ts';
import { slackHints, slackSettingsSchema, webhookUrlHint, type SlackConfig, type SlackCredentials } from './slack-settings.ts';

/**
 * SLACK: a message in a channel, through an incoming webhook (`{ webhookUrl }`) or with a bot
 * token through `chat.postMessage` (`{ botToken, channel }`), or with the bot token of an install
 * of the operator's Slack app through OAuth (`{ channel }`, token rotation kept up by Switchyard:
 * a token Slack calls expired is refreshed once). The action input is a message
 * `{ text, blocks? }`; without a transform, a Block Kit rendering of the event. Slack documents
 * one message per second per webhook and per channel, so that is the default rate limit.
 */
export const slackKind: DestinationKind<SlackConfig, SlackCredentials, SlackMessage> = {
  kind: 'SLACK',
  inputField: 'slack',
  policy: { rateLimitPerSecond: 1, reason: 'Slack allows about one message per second per webhook and per channel' },
  signsRequests: false,
  oauth: { needsAuthorization: ({ config }) => config.mode === 'OAUTH' },

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
    const url = `${target.vendors.slackApi.url}/chat.postMessage`;
    const sent = await sendAuthorized({
      http: target.http,
      // A bot token of the connection's own; an OAuth install's token is the grant's, kept fresh.
      ...(target.config.mode === 'BOT' && { fixedToken: botToken ?? '' }),
      tokens: target.tokens,
      call: (token) => ({
        method: 'POST',
        url,
        headers: { ...JSON_HEADERS, authorization: `Bearer ${token.accessToken}` },
        body: JSON.stringify({ channel: target.config.channel, ...message }),
        base: target.vendors.slackApi,
      }),
      shown: { method: 'POST', url },
      refused: refusesToken,
      timeoutMs: deadline(target.timeoutMs),
    });
    return 'report' in sent ? sent.report : reportOf(sent.exchange, classifyWebApiAnswer(sent.exchange));
  },
};
