import { z } from 'zod';
import { MAX_URL_LENGTH } from '../../connections/target-url.ts';
import type { SettingsContext, StoredSettings } from '../destination-kind.ts';
import { credentialHint } from '../report.ts';
import { isOnBase } from '../vendor-urls.ts';

/** What a SLACK connection shows: how it posts, and where when it posts with a bot token. */
export interface SlackConfig {
  /**
   * `WEBHOOK`: an incoming webhook; `BOT`: `chat.postMessage` with the connection's bot token;
   * `OAUTH`: `chat.postMessage` with the bot token of an install through Switchyard's OAuth app,
   * kept fresh by Switchyard (oauth_grants).
   */
  mode: 'WEBHOOK' | 'BOT' | 'OAUTH';
  /** The channel a bot posts to; null for an incoming webhook, which has its own. */
  channel: string | null;
}

/** What a SLACK connection authenticates with: the webhook URL (it embeds a secret) or the token; nothing for OAUTH. */
export interface SlackCredentials {
  webhookUrl?: string;
  botToken?: string;
}

export type SlackSettings = StoredSettings<SlackConfig, SlackCredentials>;

const BOT_TOKEN = /^(xoxe\.)?xox[bp]-[A-Za-z0-9-]{8,500}$/;
const CHANNEL = /^#?[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/;

/** The masked forms shown after saving: `https://hooks.slack.com/services/T…/B…/…Xk9q`, `xoxb-…k9Zq`. */
export function slackHints(credentials: SlackCredentials): Record<string, string> {
  const hints: Record<string, string> = {};
  if (credentials.webhookUrl) hints.webhookUrl = webhookUrlHint(credentials.webhookUrl);
  if (credentials.botToken) hints.botToken = credentialHint(credentials.botToken, credentials.botToken.startsWith('xoxe.') ? 'xoxe.' : 'xoxb-');
  return hints;
}

/** A webhook URL with its secret, the last path segment, masked; the workspace and hook ids stay. */
export function webhookUrlHint(url: string): string {
  const cut = url.lastIndexOf('/');
  return `${url.slice(0, cut + 1)}${credentialHint(url.slice(cut + 1))}`;
}

const input = z.object({
  webhookUrl: z.string().nullish(),
  botToken: z.string().nullish(),
  channel: z.string().nullish(),
});

type Context = z.RefinementCtx;

function checkWebhookUrl(raw: string, context: SettingsContext, issues: Context): string | undefined {
  const base = context.vendors.slackWebhooks.url;
  const example = `${base}/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX`;
  let url: URL | undefined;
  try {
    url = new URL(raw.trim());
  } catch {
    // Reported below.
  }
  const problem =
    raw.length > MAX_URL_LENGTH ? `must be at most ${MAX_URL_LENGTH} characters`
    : !url || !isOnBase(url, base) || url.href.replace(/\/+$/, '') === base ? `must be an incoming webhook URL starting with ${base} (SWITCHYARD_SLACK_WEBHOOK_BASE_URL), e.g. "${example}"`
    : url.username || url.password || url.hash ? 'must not contain credentials or a fragment'
    : undefined;
  if (problem) {
    issues.addIssue({ code: 'custom', path: ['webhookUrl'], message: problem });
    return undefined;
  }
  return url!.href;
}

/**
 * The schema of `createConnection`'s and `updateConnection`'s `slack` field: `{ webhookUrl }` for
 * an incoming webhook, `{ botToken, channel }` for `chat.postMessage` with a token of your own, or
 * `{ channel }` alone to install Switchyard's Slack app through OAuth (`authorizeConnection`) and
 * post with its bot token. When updating, a field left out keeps its value and a masked value sent
 * back keeps the stored one; giving the other mode's fields switches mode, and `botToken: null`
 * switches a bot to OAuth.
 */
export function slackSettingsSchema(context: SettingsContext, previous?: SlackSettings): z.ZodType<SlackSettings> {
  return input.transform((given, issues): SlackSettings => {
    const kept = (field: keyof SlackCredentials, value: string | null | undefined) => {
      const stored = previous?.credentials[field];
      return value != null && stored !== undefined && value === slackHints({ [field]: stored })[field] ? stored : value;
    };
    const webhookUrl = kept('webhookUrl', given.webhookUrl);
    const botToken = kept('botToken', given.botToken);
    const channel = given.channel?.trim();
    if (webhookUrl != null) {
      if (botToken != null) issues.addIssue({ code: 'custom', path: ['botToken'], message: 'give either webhookUrl or botToken, not both' });
      if (channel != null) {
        issues.addIssue({ code: 'custom', path: ['channel'], message: 'an incoming webhook posts to the channel it was made for; leave channel out, or use botToken' });
      }
      const url = checkWebhookUrl(webhookUrl, context, issues);
      return url ? { config: { mode: 'WEBHOOK', channel: null }, credentials: { webhookUrl: url } } : (z.NEVER as never);
    }
    const wasBot = previous?.config.mode === 'BOT';
    const token = botToken ?? (wasBot && given.botToken !== null ? previous.credentials.botToken : undefined);
    const target = channel ?? (previous?.config.mode === 'WEBHOOK' ? null : (previous?.config.channel ?? null));
    if (token == null && target == null) {
      if (previous && given.botToken === undefined) return previous;
      issues.addIssue({
        code: 'custom',
        path: given.botToken === null ? ['channel'] : [],
        message: 'give webhookUrl (an incoming webhook), botToken and channel (chat.postMessage), or channel alone (installed through OAuth)',
      });
      return z.NEVER as never;
    }
    if (token != null && !BOT_TOKEN.test(token)) {
      issues.addIssue({ code: 'custom', path: ['botToken'], message: 'must be a Slack bot token, "xoxb-..." (the app\'s Bot User OAuth Token)' });
    }
    if (target == null) issues.addIssue({ code: 'custom', path: ['channel'], message: 'is required with botToken' });
    else if (!CHANNEL.test(target)) {
      issues.addIssue({ code: 'custom', path: ['channel'], message: 'must be a channel id such as "C0123456789" or a name such as "#alerts"' });
    }
    if (target == null) return z.NEVER as never;
    // Without a token of its own, the connection posts with the bot token of its OAuth install.
    return token == null ? { config: { mode: 'OAUTH', channel: target }, credentials: {} } : { config: { mode: 'BOT', channel: target }, credentials: { botToken: token } };
  });
}
