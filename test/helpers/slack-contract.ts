import { randomBytes } from 'node:crypto';
import { startContractServer, tokenBucket, type ContractReply, type ContractRequest, type ContractServer } from './contract-server.ts';
import { oauthProvider, type OAuthProvider } from './oauth-contract.ts';

/**
 * A local stand-in for Slack that behaves as Slack documents it, for incoming webhooks
 * (https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks, errors as plain
 * text with their HTTP status) and for the Web API's `chat.postMessage`
 * (https://docs.slack.dev/reference/methods/chat.postMessage, errors as HTTP 200 with
 * `{ ok: false, error }`, 429 `ratelimited` with `Retry-After`), and for installs through OAuth
 * (https://docs.slack.dev/authentication/installing-with-oauth: consent at `/oauth/v2/authorize`,
 * tokens from `/api/oauth.v2.access`) with token rotation
 * (https://docs.slack.dev/authentication/using-token-rotation: `xoxe.xoxb-` access tokens living
 * 12 hours, a new refresh token each refresh, `token_expired` once one lapses,
 * `invalid_refresh_token` once the install is revoked). An installed bot may post to any
 * channel, as `chat:write.public` lets it.
 */
export interface SlackContract {
  server: ContractServer;
  /** What to configure as `SWITCHYARD_SLACK_API_URL`. */
  apiUrl: string;
  /** What to configure as `SWITCHYARD_SLACK_WEBHOOK_BASE_URL`. */
  webhookBaseUrl: string;
  /** What to configure as `SWITCHYARD_SLACK_AUTHORIZE_URL`. */
  authorizeUrl: string;
  /** The Slack app installs go through. */
  oauth: OAuthProvider;
  /** Creates a channel; returns its id (`C...`). */
  addChannel(name: string): string;
  /** An incoming webhook that posts to `channel` (a name or id); returns its URL. */
  addWebhook(channel: string): string;
  /** A bot token whose bot is a member of `channels` (names or ids). */
  addBotToken(channels: string[]): string;
  revokeToken(token: string): void;
  deactivateToken(token: string): void;
  archiveChannel(channel: string): void;
  /** The webhook was removed by the workspace: it answers `no_service`. */
  removeWebhook(url: string): void;
  /** The workspace restricts posting through this webhook: `action_prohibited`. */
  prohibitWebhook(url: string): void;
  /** Answers the next `count` requests but OAuth ones with `reply` instead (an outage, say). */
  failNext(count: number, reply: ContractReply): void;
  /** Messages Slack accepted, in order. */
  readonly messages: PostedMessage[];
  close(): Promise<void>;
}

export interface PostedMessage {
  channel: string;
  via: 'webhook' | 'chat.postMessage';
  text?: string;
  blocks?: unknown[];
  ts: string;
}

interface Channel {
  id: string;
  name: string;
  archived: boolean;
}

const LIMITS = { blocks: 50, header: 150, section: 3000, field: 2000, fields: 10, text: 40_000 };
const BLOCK_TYPES = new Set(['section', 'header', 'context', 'divider', 'image', 'actions', 'rich_text', 'input', 'file', 'video', 'markdown']);

/** Why a list of blocks is not valid Block Kit, the way Slack's `response_metadata.messages` says it. */
function blocksProblem(blocks: unknown): string | undefined {
  if (!Array.isArray(blocks)) return '[ERROR] must be an array [json-pointer:/blocks]';
  if (blocks.length > LIMITS.blocks) return `[ERROR] no more than ${LIMITS.blocks} items allowed [json-pointer:/blocks]`;
  for (const [index, block] of blocks.entries()) {
    const at = `/blocks/${index}`;
    const { type, text, fields } = (block ?? {}) as { type?: unknown; text?: { text?: unknown }; fields?: { text?: unknown }[] };
    if (typeof type !== 'string' || !BLOCK_TYPES.has(type)) return `[ERROR] unsupported type [json-pointer:${at}/type]`;
    const length = (value: unknown) => (typeof value === 'string' ? value.length : 0);
    if (type === 'header' && (typeof text?.text !== 'string' || length(text.text) > LIMITS.header)) return `[ERROR] must be less than ${LIMITS.header + 1} characters [json-pointer:${at}/text]`;
    if (type === 'section') {
      if (text === undefined && fields === undefined) return `[ERROR] must provide text or fields [json-pointer:${at}]`;
      if (text !== undefined && length(text.text) > LIMITS.section) return `[ERROR] must be less than ${LIMITS.section + 1} characters [json-pointer:${at}/text/text]`;
      if (fields !== undefined && (!Array.isArray(fields) || fields.length > LIMITS.fields || fields.some((field) => length(field?.text) > LIMITS.field))) {
        return `[ERROR] fields invalid [json-pointer:${at}/fields]`;
      }
    }
  }
  return undefined;
}

function parseBody(request: ContractRequest): Record<string, unknown> | 'invalid' {
  const type = String(request.headers['content-type'] ?? '');
  try {
    if (type.startsWith('application/json')) {
      const parsed = JSON.parse(request.body) as unknown;
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : 'invalid';
    }
    const form = Object.fromEntries(new URLSearchParams(request.body)) as Record<string, unknown>;
    if (typeof form.payload === 'string') return JSON.parse(form.payload) as Record<string, unknown>;
    if (typeof form.blocks === 'string') form.blocks = JSON.parse(form.blocks);
    return form;
  } catch {
    return 'invalid';
  }
}

const text = (status: number, body: string): ContractReply => ({ status, headers: { 'content-type': 'text/html' }, body });
const apiError = (error: string, extra: Record<string, unknown> = {}): ContractReply => ({ status: 200, body: { ok: false, error, ...extra } });

const slackAnswer = (body: Record<string, unknown>): ContractReply => ({ status: 200, body: { ok: false, ...body } });

export async function startSlackContract(options: { ratePerSecond?: number; burst?: number } = {}): Promise<SlackContract> {
  const oauth = oauthProvider(
    {
      authorizePath: '/oauth/v2/authorize',
      granted: ({ accessToken, refreshToken, lifetime, scope }) => ({
        status: 200,
        body: {
          ok: true, app_id: 'A0APP00001', authed_user: { id: 'U0USER0001' }, scope: scope.replace(/ /g, ','), token_type: 'bot',
          access_token: accessToken, bot_user_id: 'U0BOT00001', refresh_token: refreshToken, expires_in: lifetime,
          team: { id: 'T0TEAM0001', name: 'Acme' }, enterprise: null, is_enterprise_install: false,
        },
      }),
      refused: (reason) =>
        slackAnswer({
          error: reason === 'refresh_token' ? 'invalid_refresh_token'
            : reason === 'client' ? 'invalid_client_id'
            : reason === 'redirect_uri' ? 'bad_redirect_uri'
            : 'invalid_code',
        }),
      returnsRefreshTokenOnRefresh: true,
    },
    { accessTokenLifetimeSeconds: 43_200, rotateRefreshTokens: true, tokenPrefix: 'xoxe.xoxb-1-' },
  );
  const channels = new Map<string, Channel>();
  const webhooks = new Map<string, { channel: string; secret: string; removed: boolean; prohibited: boolean; allow: () => number }>();
  const tokens = new Map<string, { channels: Set<string>; state: 'active' | 'revoked' | 'inactive' }>();
  const channelBuckets = new Map<string, () => number>();
  const messages: PostedMessage[] = [];
  const injected: { count: number; reply: ContractReply }[] = [];
  const rate = options.ratePerSecond ?? 1;
  const burst = options.burst ?? 3;
  let clock = 1_700_000_000;
  const ts = () => `${++clock}.000100`;

  const channelOf = (nameOrId: string) => channels.get(nameOrId) ?? [...channels.values()].find((channel) => channel.name === nameOrId.replace(/^#/, ''));
  const bucketOf = (channelId: string) => {
    let bucket = channelBuckets.get(channelId);
    if (!bucket) channelBuckets.set(channelId, (bucket = tokenBucket(rate, burst)));
    return bucket;
  };

  function webhook(request: ContractRequest): ContractReply {
    const [, , team, hookId, secret] = request.path.replace(/^\/hooks/, '').split('/');
    const hook = webhooks.get(`${team}/${hookId}`);
    if (request.method !== 'POST') return text(405, 'invalid_method');
    if (!hook || hook.removed) return text(404, 'no_service');
    if (hook.secret !== secret) return text(403, 'invalid_token');
    if (hook.prohibited) return text(403, 'action_prohibited');
    const wait = hook.allow();
    if (wait > 0) return { status: 429, headers: { 'retry-after': String(wait), 'content-type': 'text/html' }, body: 'rate_limited' };
    const body = parseBody(request);
    if (body === 'invalid') return text(400, 'invalid_payload');
    const channel = channels.get(hook.channel);
    if (!channel) return text(404, 'channel_not_found');
    if (channel.archived) return text(410, 'channel_is_archived');
    if (typeof body.text !== 'string' && body.blocks === undefined) return text(400, 'no_text');
    if (body.blocks !== undefined && blocksProblem(body.blocks)) return text(400, 'invalid_blocks');
    messages.push({ channel: channel.id, via: 'webhook', text: body.text as string | undefined, blocks: body.blocks as unknown[] | undefined, ts: ts() });
    return text(200, 'ok');
  }

  function postMessage(request: ContractRequest): ContractReply {
    const body = parseBody(request);
    const bearer = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    const token = bearer ?? (body !== 'invalid' && typeof body.token === 'string' ? body.token : undefined);
    if (!token) return apiError('not_authed');
    const installed = oauth.accessTokens.includes(token);
    if (installed && !oauth.isLive(token)) return apiError('token_expired');
    const grant = installed ? { channels: new Set(channels.keys()), state: 'active' as const } : tokens.get(token);
    if (!grant) return apiError('invalid_auth');
    if (grant.state === 'revoked') return apiError('token_revoked');
    if (grant.state === 'inactive') return apiError('account_inactive');
    if (body === 'invalid') return apiError('invalid_json');
    const channel = typeof body.channel === 'string' ? channelOf(body.channel) : undefined;
    if (!channel) return apiError('channel_not_found');
    if (channel.archived) return apiError('is_archived');
    if (!grant.channels.has(channel.id)) return apiError('not_in_channel');
    if (typeof body.text !== 'string' && body.blocks === undefined && body.attachments === undefined) return apiError('no_text');
    if (typeof body.text === 'string' && body.text.length > LIMITS.text) return apiError('msg_too_long');
    const problem = body.blocks === undefined ? undefined : blocksProblem(body.blocks);
    if (problem) return apiError('invalid_blocks', { response_metadata: { messages: [problem] } });
    const wait = bucketOf(channel.id)();
    if (wait > 0) return { status: 429, headers: { 'retry-after': String(wait) }, body: { ok: false, error: 'ratelimited' } };
    const posted: PostedMessage = { channel: channel.id, via: 'chat.postMessage', text: body.text as string | undefined, blocks: body.blocks as unknown[] | undefined, ts: ts() };
    messages.push(posted);
    const charset = /charset=utf-8/i.test(String(request.headers['content-type'] ?? ''));
    return {
      status: 200,
      body: {
        ok: true,
        channel: channel.id,
        ts: posted.ts,
        message: { type: 'message', user: 'U0BOT00001', bot_id: 'B0BOT00001', text: posted.text, ts: posted.ts, ...(posted.blocks && { blocks: posted.blocks }) },
        ...(!charset && { response_metadata: { warnings: ['missing_charset'] } }),
      },
    };
  }

  const server = await startContractServer((request) => {
    if (request.path.startsWith('/oauth/v2/authorize')) return oauth.authorize(request);
    if (request.path === '/api/oauth.v2.access' && request.method === 'POST') return oauth.token(request);
    const fault = injected[0];
    if (fault) {
      if (--fault.count <= 0) injected.shift();
      return fault.reply;
    }
    if (request.path.startsWith('/hooks/services/')) return webhook(request);
    if (request.path === '/api/chat.postMessage') return request.method === 'POST' ? postMessage(request) : apiError('invalid_request');
    return { status: 404, body: `no route for ${request.path}` };
  });

  const find = (channel: string) => {
    const found = channelOf(channel);
    if (!found) throw new Error(`no channel ${channel}`);
    return found;
  };
  return {
    server,
    apiUrl: `${server.origin}/api`,
    webhookBaseUrl: `${server.origin}/hooks`,
    authorizeUrl: `${server.origin}/oauth/v2/authorize`,
    oauth,
    addChannel(name) {
      const id = `C${randomBytes(5).toString('hex').toUpperCase()}`;
      channels.set(id, { id, name, archived: false });
      return id;
    },
    addWebhook(channel) {
      const team = `T${randomBytes(4).toString('hex').toUpperCase()}`;
      const hookId = `B${randomBytes(4).toString('hex').toUpperCase()}`;
      // Slack's webhook secrets are 24 letters and digits.
      const secret = randomBytes(18).toString('base64url').replace(/[-_]/g, 'x');
      webhooks.set(`${team}/${hookId}`, { channel: find(channel).id, secret, removed: false, prohibited: false, allow: tokenBucket(rate, burst) });
      return `${server.origin}/hooks/services/${team}/${hookId}/${secret}`;
    },
    addBotToken(names) {
      const token = `xoxb-${randomBytes(4).readUInt32BE()}-${randomBytes(4).readUInt32BE()}-${randomBytes(12).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x')}`;
      tokens.set(token, { channels: new Set(names.map((name) => find(name).id)), state: 'active' });
      return token;
    },
    revokeToken: (token) => void (tokens.get(token)!.state = 'revoked'),
    deactivateToken: (token) => void (tokens.get(token)!.state = 'inactive'),
    archiveChannel: (channel) => void (find(channel).archived = true),
    removeWebhook(url) {
      const [team, hookId] = url.split('/services/')[1]!.split('/');
      webhooks.get(`${team}/${hookId}`)!.removed = true;
    },
    prohibitWebhook(url) {
      const [team, hookId] = url.split('/services/')[1]!.split('/');
      webhooks.get(`${team}/${hookId}`)!.prohibited = true;
    },
    failNext: (count, reply) => void injected.push({ count, reply }),
    messages,
    close: () => server.close(),
  };
}
