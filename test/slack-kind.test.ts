import { afterAll, describe, expect, it } from 'vitest';
import { closeHttp } from '../src/domains/deliveries/http/send-webhook.ts';
import { MappingError } from '../src/domains/destinations/mapping.ts';
import { slackKind } from '../src/domains/destinations/slack/slack-kind.ts';
import { SLACK_LIMITS } from '../src/domains/destinations/slack/slack-message.ts';
import type { SlackSettings } from '../src/domains/destinations/slack/slack-settings.ts';
import { actionEvent, localVendors, settingsOf, targetOf } from './helpers/destinations.ts';
import { startSlackContract } from './helpers/slack-contract.ts';

const slack = await startSlackContract();
afterAll(async () => {
  await closeHttp();
  await slack.close();
});
const vendors = localVendors({ slackApiUrl: slack.apiUrl, slackWebhookBaseUrl: slack.webhookBaseUrl });
const official = localVendors({});

function settings(input: unknown, previous?: SlackSettings): SlackSettings {
  const { settings: parsed, issues } = settingsOf(slackKind, input, vendors, previous);
  if (!parsed) throw new Error(JSON.stringify(issues));
  return parsed;
}

const message = (text = 'hello') => slackKind.actionInput(actionEvent(), { value: { text }, json: JSON.stringify({ text }) }, settings({ webhookUrl: slack.addWebhook(slack.addChannel(`c-${Date.now()}`)) }).config);

describe('SLACK settings', () => {
  it('takes an incoming webhook URL on the configured base, and a bot token with a channel', () => {
    const url = `${slack.webhookBaseUrl}/services/T1/B1/secretsecretsecret`;
    expect(settings({ webhookUrl: url })).toEqual({ config: { mode: 'WEBHOOK', channel: null }, credentials: { webhookUrl: url } });
    expect(settings({ botToken: 'xoxb-1234-5678-abcdefgh', channel: '#alerts' })).toEqual({
      config: { mode: 'BOT', channel: '#alerts' },
      credentials: { botToken: 'xoxb-1234-5678-abcdefgh' },
    });
  });

  it.each([
    ['https://hooks.slack.com.evil.example/services/T1/B1/x'],
    ['https://hooks.slack.com@evil.example/services/T1/B1/x'],
    ['http://hooks.slack.com/services/T1/B1/x'],
    ['https://example.com/services/T1/B1/x'],
    ['https://hooks.slack.com'],
    ['not a url'],
  ])('refuses %s as a webhook URL off https://hooks.slack.com, naming the field', (webhookUrl) => {
    const { issues } = settingsOf(slackKind, { webhookUrl }, official);
    expect(issues).toEqual([{ path: 'webhookUrl', message: expect.stringContaining('must be an incoming webhook URL starting with https://hooks.slack.com') }]);
  });

  it('names the field that is missing, wrong or one too many', () => {
    const url = `${slack.webhookBaseUrl}/services/T1/B1/secretsecretsecret`;
    expect(settingsOf(slackKind, {}, vendors).issues).toEqual([{ path: '', message: expect.stringContaining('give webhookUrl') }]);
    expect(settingsOf(slackKind, { botToken: 'xoxb-1234-5678-abcdefgh' }, vendors).issues).toEqual([{ path: 'channel', message: 'is required with botToken' }]);
    // A channel alone is an install through OAuth, posting with the install's bot token.
    expect(settingsOf(slackKind, { channel: 'C123' }, vendors)).toEqual({ settings: { config: { mode: 'OAUTH', channel: 'C123' }, credentials: {} }, issues: [] });
    expect(settingsOf(slackKind, { botToken: 'xoxp-nope nope', channel: 'C123' }, vendors).issues).toEqual([{ path: 'botToken', message: expect.stringContaining('xoxb-') }]);
    expect(settingsOf(slackKind, { botToken: 'xoxb-1234-5678-abcdefgh', channel: 'two words' }, vendors).issues).toEqual([{ path: 'channel', message: expect.stringContaining('channel id') }]);
    expect(settingsOf(slackKind, { webhookUrl: url, botToken: 'xoxb-1234-5678-abcdefgh' }, vendors).issues.map((issue) => issue.path)).toEqual(['botToken']);
    expect(settingsOf(slackKind, { webhookUrl: url, channel: '#x' }, vendors).issues.map((issue) => issue.path)).toEqual(['channel']);
  });

  it('shows credentials masked, and keeps the stored ones when their masks come back', () => {
    const url = `${slack.webhookBaseUrl}/services/T0001/B0002/AbCdEfGhIjKlMnOpQrStUvWx`;
    const webhook = settings({ webhookUrl: url });
    const hints = slackKind.credentialHints(webhook.credentials);
    expect(hints).toEqual({ webhookUrl: `${slack.webhookBaseUrl}/services/T0001/B0002/…UvWx` });
    expect(settings({ webhookUrl: hints.webhookUrl }, webhook)).toEqual(webhook);

    const bot = settings({ botToken: 'xoxb-1111-2222-abcdefghijklmnop', channel: 'C0AAA' });
    expect(slackKind.credentialHints(bot.credentials)).toEqual({ botToken: 'xoxb-…mnop' });
    expect(settings({ botToken: 'xoxb-…mnop' }, bot)).toEqual(bot);
    expect(settings({ channel: 'C0BBB' }, bot)).toEqual({ config: { mode: 'BOT', channel: 'C0BBB' }, credentials: bot.credentials });
    expect(settings({ botToken: 'xoxb-3333-4444-zyxwvutsrqponm' }, bot).credentials).toEqual({ botToken: 'xoxb-3333-4444-zyxwvutsrqponm' });
    expect(settings({ webhookUrl: url }, bot)).toEqual(webhook);
  });

  it('defaults to one message a second, the limit Slack documents', () => {
    expect(slackKind.policy.rateLimitPerSecond).toBe(1);
  });
});

describe('the SLACK action input', () => {
  const config = { mode: 'WEBHOOK' as const, channel: null };

  it('renders an event as Block Kit by default: header, resource fields, payload, context', () => {
    const event = actionEvent({ payload: { total: 4200, note: '<b>&' } });
    const rendered = slackKind.actionInput(event, null, config);
    expect(rendered.text).toBe('order.completed: order o_42');
    expect(rendered.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'order.completed', emoji: false } },
      { type: 'section', fields: [{ type: 'mrkdwn', text: '*Resource*\norder' }, { type: 'mrkdwn', text: '*Resource id*\no_42' }] },
      { type: 'section', text: { type: 'mrkdwn', text: '```{\n  "total": 4200,\n  "note": "&lt;b&gt;&amp;"\n}```' } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${event.publicId} · sequence 7 · 2026-12-01T10:00:00.000Z` }] },
    ]);
  });

  it('says so in the context when the event is a test send', () => {
    const rendered = slackKind.actionInput(actionEvent({ test: true, sequence: 0 }), null, config);
    expect(rendered.blocks!.at(-1)).toMatchObject({ type: 'context', elements: [{ text: expect.stringMatching(/^Test send · evt_/) }] });
  });

  it('truncates to Slack\'s limits instead of failing: 150 for a header, 3000 for a section', () => {
    const event = actionEvent({ type: `a.${'b'.repeat(300)}`, payload: { blob: 'x'.repeat(10_000) } });
    const rendered = slackKind.actionInput(event, null, config);
    const [header, , payload] = rendered.blocks as unknown as { text: { text: string } }[];
    expect(header!.text.text).toHaveLength(SLACK_LIMITS.headerText);
    expect(header!.text.text.endsWith('…')).toBe(true);
    expect(payload!.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(payload!.text.text).toMatch(/^```\{[\s\S]*…```$/);
  });

  it('takes a transform\'s { text, blocks }, cutting what exceeds Slack\'s limits', () => {
    const blocks = Array.from({ length: 60 }, () => ({ type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(4000) } }));
    const rendered = slackKind.actionInput(actionEvent(), { value: { text: 'hi', blocks }, json: '' }, config);
    expect(rendered.blocks).toHaveLength(SLACK_LIMITS.blocks);
    expect((rendered.blocks![0] as unknown as { text: { text: string } }).text.text).toHaveLength(SLACK_LIMITS.sectionText);
  });

  it.each([
    [{ blocks: [] }, 'text', 'text: is required'],
    [{ text: 5 }, 'text', 'text: is required'],
    [{ text: 'x', blocks: 'no' }, 'blocks', 'blocks: must be an array'],
    [{ text: 'x', blocks: [{ text: 'no type' }] }, 'blocks.0.type', 'blocks.0.type: is required'],
    [{ text: 'x', colour: 'red' }, '', 'unknown field colour'],
    ['just a string', '', 'must be an object { text, blocks? }'],
  ])('refuses a transform result %j with a MAPPING error naming %j', (value, field, message) => {
    let error: unknown;
    try {
      slackKind.actionInput(actionEvent(), { value, json: JSON.stringify(value) }, config);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MappingError);
    expect((error as MappingError).field).toBe(field);
    expect((error as MappingError).message).toContain(message);
  });
});

describe('posting through an incoming webhook', () => {
  const hook = () => {
    const channel = slack.addChannel(`hook-${Math.random()}`);
    const url = slack.addWebhook(channel);
    return { channel, url, target: targetOf(settings({ webhookUrl: url }), vendors) };
  };

  it('posts the message and succeeds on 200 ok, with the secret masked in the report', async () => {
    const { channel, url, target } = hook();
    const report = await slackKind.perform(slackKind.actionInput(actionEvent(), null, target.config), target);
    expect(report).toMatchObject({ verdict: { kind: 'success' }, method: 'POST', statusCode: 200, responseExcerpt: 'ok' });
    expect(report.url).not.toContain(url.split('/').at(-1));
    expect(report.url).toMatch(/\/services\/T\w+\/B\w+\/…\w{4}$/);
    expect(slack.messages.filter((posted) => posted.channel === channel)).toEqual([
      expect.objectContaining({ via: 'webhook', text: 'order.completed: order o_42', blocks: expect.arrayContaining([expect.objectContaining({ type: 'header' })]) }),
    ]);
  });

  it('rejects an archived channel (410), a removed webhook (404) and a prohibited one (403), disabling the connection', async () => {
    const archived = hook();
    slack.archiveChannel(archived.channel);
    const removed = hook();
    slack.removeWebhook(removed.url);
    const prohibited = hook();
    slack.prohibitWebhook(prohibited.url);
    for (const [{ target }, status, code] of [[archived, 410, 'channel_is_archived'], [removed, 404, 'no_service'], [prohibited, 403, 'action_prohibited']] as const) {
      const report = await slackKind.perform(await message(), target);
      expect(report).toMatchObject({
        verdict: { kind: 'rejected' },
        connection: { kind: 'disable', reason: expect.stringContaining(code) },
        statusCode: status,
        vendorCode: code,
        errorClass: 'REJECTED',
      });
    }
  });

  it('needs re-auth when the URL\'s token is refused, and rejects an invalid payload without disabling', async () => {
    const { url } = hook();
    const forged = targetOf(settings({ webhookUrl: `${url.slice(0, url.lastIndexOf('/'))}/wrongwrongwrongwrong` }), vendors);
    expect(await slackKind.perform(await message(), forged)).toMatchObject({
      verdict: { kind: 'wait' },
      connection: { kind: 'needs-reauth' },
      statusCode: 403,
      vendorCode: 'invalid_token',
      errorClass: 'AUTH',
    });
    const bad = hook();
    const report = await slackKind.perform({ text: 'x', blocks: [{ type: 'carousel' }] }, bad.target);
    expect(report).toMatchObject({ verdict: { kind: 'rejected' }, statusCode: 400, vendorCode: 'invalid_blocks', errorClass: 'REJECTED' });
    expect(report.connection).toBeUndefined();
  });

  it.each([
    [400, 'invalid_payload', undefined],
    [400, 'no_text', undefined],
    [404, 'channel_not_found', 'disable'],
  ] as const)('rejects a webhook answering %i %s, disabling the connection only when the channel is gone', async (status, code, change) => {
    const { target } = hook();
    slack.failNext(1, { status, headers: { 'content-type': 'text/html' }, body: code });
    const report = await slackKind.perform(await message(), target);
    expect(report).toMatchObject({ verdict: { kind: 'rejected' }, statusCode: status, vendorCode: code, errorClass: 'REJECTED' });
    expect(report.connection?.kind).toBe(change);
  });

  it('waits for Retry-After on 429 and retries 5xx and timeouts', async () => {
    const { target } = hook();
    slack.failNext(1, { status: 429, headers: { 'retry-after': '7' }, body: 'rate_limited' });
    expect(await slackKind.perform(await message(), target)).toMatchObject({ verdict: { kind: 'retry', retryAfterSeconds: 7 }, statusCode: 429, errorClass: 'RATE_LIMITED' });
    slack.failNext(1, { status: 500, body: 'rollup_error' });
    expect(await slackKind.perform(await message(), target)).toMatchObject({ verdict: { kind: 'retry' }, statusCode: 500, vendorCode: 'rollup_error', errorClass: 'HTTP' });
    slack.failNext(1, { status: 200, body: 'ok', delayMs: 1_000 });
    expect(await slackKind.perform(await message(), { ...target, timeoutMs: 200 })).toMatchObject({ verdict: { kind: 'retry' }, errorClass: 'TIMEOUT' });
  });

  it('refuses to send a stored URL that is no longer on the configured base', async () => {
    const { url } = hook();
    const moved = targetOf(settings({ webhookUrl: url }), localVendors({ slackWebhookBaseUrl: 'https://hooks.slack.com' }));
    const before = slack.server.requests.length;
    expect(await slackKind.perform(await message(), moved)).toMatchObject({ verdict: { kind: 'retry' }, errorClass: 'REFUSED_TARGET' });
    expect(slack.server.requests).toHaveLength(before);
  });
});

describe('posting with chat.postMessage', () => {
  const bot = (members = true) => {
    const channel = slack.addChannel(`bot-${Math.random()}`);
    const token = slack.addBotToken(members ? [channel] : []);
    return { channel, token, target: targetOf(settings({ botToken: token, channel }), vendors) };
  };

  it('posts with the token as a Bearer header, JSON with its charset, and succeeds on ok: true', async () => {
    const { channel, token, target } = bot();
    const report = await slackKind.perform(await message('via the API'), target);
    expect(report).toMatchObject({ verdict: { kind: 'success' }, method: 'POST', url: `${slack.apiUrl}/chat.postMessage`, statusCode: 200 });
    expect(JSON.parse(report.responseExcerpt!)).toMatchObject({ ok: true, channel });
    expect(JSON.parse(report.responseExcerpt!).response_metadata).toBeUndefined();
    const request = slack.server.requests.at(-1)!;
    expect(request.headers.authorization).toBe(`Bearer ${token}`);
    expect(request.body).not.toContain(token);
    expect(slack.messages.at(-1)).toMatchObject({ channel, via: 'chat.postMessage', text: 'via the API' });
  });

  it('needs re-auth on a revoked, deactivated or unknown token', async () => {
    const revoked = bot();
    slack.revokeToken(revoked.token);
    const inactive = bot();
    slack.deactivateToken(inactive.token);
    const unknown = targetOf(settings({ botToken: 'xoxb-0000-0000-notatokenatall', channel: bot().channel }), vendors);
    for (const [target, code] of [[revoked.target, 'token_revoked'], [inactive.target, 'account_inactive'], [unknown, 'invalid_auth']] as const) {
      expect(await slackKind.perform(await message(), target)).toMatchObject({
        verdict: { kind: 'wait' },
        connection: { kind: 'needs-reauth', reason: expect.stringContaining(code) },
        statusCode: 200,
        vendorCode: code,
        errorClass: 'AUTH',
      });
    }
  });

  it('rejects channel_not_found, not_in_channel, is_archived and invalid_blocks with Slack\'s message', async () => {
    const outside = bot(false);
    const archived = bot();
    slack.archiveChannel(archived.channel);
    const missing = targetOf(settings({ botToken: bot().token, channel: 'C0MISSING' }), vendors);
    for (const [target, code] of [[outside.target, 'not_in_channel'], [archived.target, 'is_archived'], [missing, 'channel_not_found']] as const) {
      expect(await slackKind.perform(await message(), target)).toMatchObject({ verdict: { kind: 'rejected' }, vendorCode: code, errorClass: 'REJECTED' });
    }
    const report = await slackKind.perform({ text: 'x', blocks: [{ type: 'carousel' }] }, bot().target);
    expect(report).toMatchObject({ verdict: { kind: 'rejected' }, vendorCode: 'invalid_blocks', error: expect.stringContaining('[json-pointer:/blocks/0/type]') });
    expect(report.connection).toBeUndefined();
  });

  it.each([
    ['not_authed', 'wait', 'AUTH'],
    ['msg_too_long', 'rejected', 'REJECTED'],
    ['service_unavailable', 'retry', 'HTTP'],
  ] as const)('classifies chat.postMessage answering %s as %s', async (code, verdict, errorClass) => {
    const { target } = bot();
    slack.failNext(1, { status: 200, body: { ok: false, error: code } });
    expect(await slackKind.perform(await message(), target)).toMatchObject({ verdict: { kind: verdict }, statusCode: 200, vendorCode: code, errorClass });
  });

  it('retries ratelimited (HTTP 429) after its Retry-After, and Slack\'s transient errors', async () => {
    const { target } = bot();
    const reports = [];
    for (let sent = 0; sent < 5; sent++) reports.push(await slackKind.perform(await message(`burst ${sent}`), target));
    const limited = reports.find((report) => report.statusCode === 429);
    expect(limited).toMatchObject({ verdict: { kind: 'retry', retryAfterSeconds: expect.any(Number) }, vendorCode: 'rate_limited', errorClass: 'RATE_LIMITED' });
    slack.failNext(1, { status: 200, body: { ok: false, error: 'internal_error' } });
    expect(await slackKind.perform(await message(), bot().target)).toMatchObject({ verdict: { kind: 'retry' }, vendorCode: 'internal_error', errorClass: 'HTTP' });
    slack.failNext(1, { status: 503, body: 'upstream down' });
    expect(await slackKind.perform(await message(), bot().target)).toMatchObject({ verdict: { kind: 'retry' }, statusCode: 503, errorClass: 'HTTP' });
  });
});
