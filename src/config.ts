import { z } from 'zod';
import { parseKeyring } from './domains/secrets/keyring.ts';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const positiveInt = z.coerce.number().int().positive();

/** Official base URLs of the vendors Switchyard delivers to; each is replaceable by configuration. */
export const SLACK_API_URL = 'https://slack.com/api';
export const SLACK_WEBHOOK_BASE_URL = 'https://hooks.slack.com';
export const MAILCHIMP_API_URL = 'https://{dc}.api.mailchimp.com/3.0';
export const HUBSPOT_API_URL = 'https://api.hubapi.com';
export const HUBSPOT_AUTHORIZE_URL = 'https://app.hubspot.com/oauth/authorize';
export const SALESFORCE_LOGIN_URL = 'https://login.salesforce.com';
export const SLACK_AUTHORIZE_URL = 'https://slack.com/oauth/v2/authorize';

/** An absolute http(s) URL without credentials, query or fragment, kept without a trailing slash. */
const vendorUrl = z.string().transform((raw, context) => {
  let url: URL;
  try {
    url = new URL(raw.replaceAll('{dc}', 'dc'));
  } catch {
    context.addIssue({ code: 'custom', message: `must be an absolute http:// or https:// URL, not "${raw}"` });
    return z.NEVER;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
    context.addIssue({ code: 'custom', message: 'must be an http(s) URL without credentials, query or fragment' });
    return z.NEVER;
  }
  return raw.trim().replace(/\/+$/, '');
});

/** An OAuth app's client id or secret: set by the operator, unset when the provider's OAuth is not offered. */
const clientCredential = z.string().trim().min(1).max(500).optional();

/** Scopes an OAuth consent asks for, separated by spaces or commas; kept space-separated. */
const scopes = (defaults: string) =>
  z
    .string()
    .transform((raw) => raw.split(/[\s,]+/).filter(Boolean).join(' '))
    .pipe(z.string().min(1, 'must name at least one scope'))
    .default(defaults);

/**
 * Every setting Switchyard reads, with its environment variable and default.
 * This module is the only reader of `process.env`; everything else receives a `Config`.
 */
const schema = z.object({
  /** `DATABASE_URL`: Postgres to use. (Default: unset, which starts an embedded Postgres) */
  databaseUrl: z.string().url().optional(),
  /** `PORT`: HTTP port of the API. (Default: 4000) */
  port: z.coerce.number().int().min(0).max(65535).default(4000),
  /** `SWITCHYARD_HOST`: interface the API listens on. (Default: 127.0.0.1) */
  host: z.string().min(1).default('127.0.0.1'),
  /**
   * `SWITCHYARD_OPS_PORT`: port of a separate operations server with `/healthz` and `/readyz`,
   * on the same interface. (Default: unset; a worker-only process then listens on
   * 9464, and an API process serves these paths on `PORT`)
   */
  opsPort: z.coerce.number().int().min(0).max(65535).optional(),
  /**
   * `SWITCHYARD_PARENT_PID`: the process this one belongs to; once it is gone (exited, or killed
   * with SIGKILL) Switchyard stops as on SIGTERM. For supervisors and tests that start it through
   * wrappers such as npm or a shell. (Default: unset)
   */
  parentPid: z.coerce.number().int().min(1).optional(),
  /** `SWITCHYARD_ROLE`: `all` runs API and worker in one process; `api` or `worker` runs one of them. (Default: all) */
  role: z.enum(['all', 'api', 'worker']).default('all'),
  /** `SWITCHYARD_DATA_DIR`: where the embedded Postgres keeps its data. (Default: .switchyard) */
  dataDir: z.string().min(1).default('.switchyard'),
  /** `SWITCHYARD_EMBEDDED_PG_PORT`: port of the embedded Postgres. (Default: 54329) */
  embeddedPgPort: z.coerce.number().int().min(1).max(65535).default(54329),
  /** `SWITCHYARD_ADMIN_KEY`: the admin key; when unset the first start creates one and prints it once. */
  adminKey: z.string().min(24).optional(),
  /**
   * `SWITCHYARD_ENCRYPTION_KEYS`: keys that seal secrets at rest, `id:base64key` entries (32-byte
   * keys) separated by commas; the first seals, all open. Required with DATABASE_URL. (Default:
   * unset; the embedded default generates one in `<data dir>/encryption-keys`)
   */
  encryptionKeys: z
    .string()
    .optional()
    .superRefine((text, context) => {
      if (text === undefined) return;
      try {
        parseKeyring(text);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  /** `SWITCHYARD_ALLOW_PRIVATE_TARGETS`: allow deliveries to private, loopback and link-local addresses. (Default: false) */
  allowPrivateTargets: flag.default(false),
  /**
   * `SWITCHYARD_WORKER_CONCURRENCY`: connections one worker process delivers to at once, each
   * with up to its `maxConcurrency` attempts in flight. (Default: 50)
   */
  workerConcurrency: positiveInt.default(50),
  /** `SWITCHYARD_DEFAULT_MAX_CONCURRENCY`: attempts in flight per connection when it sets no `maxConcurrency`. (Default: 10) */
  defaultMaxConcurrency: positiveInt.default(10),
  /**
   * `SWITCHYARD_STALE_JOB_SECONDS`: how long a worker process may miss its heartbeat (it beats
   * four times in this span, every 10 s at most) before it counts as crashed and its jobs are
   * taken over, and how long past its connection's timeout an attempt's lease lasts before the
   * delivery counts as abandoned. A live worker keeps its jobs however long they run. (Default: 120)
   */
  staleJobSeconds: positiveInt.default(120),
  /** `SWITCHYARD_MAX_PAYLOAD_BYTES`: largest accepted event payload, as JSON. (Default: 262144) */
  maxPayloadBytes: positiveInt.default(256 * 1024),
  /**
   * `SWITCHYARD_INGEST_RATE_LIMIT_PER_SECOND`: most events one workspace may emit per second in
   * one API process; over it, emits are refused with RATE_LIMITED, HTTP 429 and Retry-After.
   * (Default: unset, no limit)
   */
  ingestRateLimitPerSecond: z.coerce.number().positive().optional(),
  /** `SWITCHYARD_MAX_PAYLOAD_DEPTH`: deepest nesting of objects and arrays in an event payload, at most 90. (Default: 32) */
  maxPayloadDepth: positiveInt.max(90).default(32),
  /** `SWITCHYARD_MAX_TRANSFORM_BYTES`: largest body a rule's transform may produce. (Default: 262144) */
  maxTransformBytes: positiveInt.default(256 * 1024),
  /** `SWITCHYARD_EXPRESSION_TIMEOUT_MS`: time limit of one JSONata evaluation. (Default: 50) */
  expressionTimeoutMs: positiveInt.default(50),
  /**
   * `SWITCHYARD_EXPRESSION_MEMORY_MB`: heap of each expression worker process, where expressions
   * whose cost is not bounded run; one that needs more is stopped. (Default: 64)
   */
  expressionMemoryMb: positiveInt.min(16).default(64),
  /** `SWITCHYARD_MAX_RESPONSE_BYTES`: how much of a receiver's response body is read. (Default: 65536) */
  maxResponseBytes: positiveInt.default(64 * 1024),
  /** `SWITCHYARD_MAX_RETRY_AFTER_SECONDS`: cap on a receiver's Retry-After, and on a connection's wait for its vendor's quota. (Default: 3600) */
  maxRetryAfterSeconds: positiveInt.default(3600),
  /**
   * `SWITCHYARD_QUOTA_PROBE_SECONDS`: how long a connection whose vendor's daily quota is spent
   * waits before one delivery tries again, when the vendor does not say when the quota resets
   * (HubSpot's `DAILY` limit resets at the account's midnight, in a time zone the API does not
   * give). At most `SWITCHYARD_MAX_RETRY_AFTER_SECONDS`. (Default: 3600)
   */
  quotaProbeSeconds: positiveInt.default(3600),
  /** `SWITCHYARD_FAILURE_ALERT_THRESHOLD`: consecutive failures before `switchyard.connection.failing`. (Default: 10) */
  failureAlertThreshold: positiveInt.default(10),
  /** `SWITCHYARD_DISABLE_AFTER_SECONDS`: how long a connection may fail without a success before it is disabled. (Default: 432000, 5 days) */
  disableAfterSeconds: positiveInt.default(5 * 24 * 3600),
  /** `SWITCHYARD_MAX_SUBSCRIPTIONS_PER_SOCKET`: subscriptions one graphql-ws socket may hold open at once. (Default: 100) */
  maxSubscriptionsPerSocket: positiveInt.default(100),
  /**
   * `SWITCHYARD_PUBLIC_URL`: the URL people's browsers reach the API at, e.g.
   * `https://switchyard.example.com`; portal session links (and OAuth callbacks) are built on it.
   * (Default: the API's own URL, `http://<host>:<port>`)
   */
  publicUrl: z
    .string()
    .url()
    .refine((url) => /^https?:$/.test(new URL(url).protocol), 'must be an http or https URL')
    .transform((url) => url.replace(/\/+$/, ''))
    .optional(),
  /** `SWITCHYARD_GRAPHQL_MAX_DOCUMENT_LENGTH`: longest GraphQL document, in characters; send data as variables. (Default: 15000) */
  graphqlMaxDocumentLength: positiveInt.default(15_000),
  /** `SWITCHYARD_GRAPHQL_MAX_TOKENS`: most tokens (names, punctuation, values) in a GraphQL document. (Default: 1000) */
  graphqlMaxTokens: positiveInt.default(1000),
  /** `SWITCHYARD_GRAPHQL_MAX_DEPTH`: deepest nesting of fields in an operation; fragments add none. (Default: 10) */
  graphqlMaxDepth: positiveInt.default(10),
  /** `SWITCHYARD_GRAPHQL_MAX_ALIASES`: most aliased fields in an operation. (Default: 15) */
  graphqlMaxAliases: positiveInt.default(15),
  /** `SWITCHYARD_GRAPHQL_MAX_COST`: highest cost of an operation, as graphql-armor estimates it (2 per object, 1 per scalar, x1.5 per level, times a literal `first`). (Default: 10000) */
  graphqlMaxCost: positiveInt.default(10_000),
  /** `SWITCHYARD_GRAPHQL_MAX_DIRECTIVES`: most directives in an operation. (Default: 50) */
  graphqlMaxDirectives: positiveInt.default(50),
  /**
   * `SWITCHYARD_LOG_LEVEL`: `debug`, `info`, `warn`, `error`, or `silent` for no lines at all but
   * the admin key a first start makes. (Default: info)
   */
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /**
   * `SWITCHYARD_SLACK_API_URL`: base of Slack's Web API, where `chat.postMessage` is called: a
   * proxy, a sandbox or a test server instead of Slack. (Default: https://slack.com/api)
   */
  slackApiUrl: vendorUrl.default(SLACK_API_URL),
  /**
   * `SWITCHYARD_SLACK_WEBHOOK_BASE_URL`: where Slack's incoming webhooks live; a SLACK connection's
   * `webhookUrl` must start with it. (Default: https://hooks.slack.com)
   */
  slackWebhookBaseUrl: vendorUrl.default(SLACK_WEBHOOK_BASE_URL),
  /**
   * `SWITCHYARD_MAILCHIMP_API_URL`: base of Mailchimp's Marketing API; `{dc}` stands for the data
   * center named by the API key. (Default: https://{dc}.api.mailchimp.com/3.0)
   */
  mailchimpApiUrl: vendorUrl.default(MAILCHIMP_API_URL),
  /**
   * `SWITCHYARD_LOG_FORMAT`: `json` (one JSON object a line), `pretty` (for people), or `auto`:
   * pretty when standard output is a terminal, JSON otherwise. (Default: auto)
   */
  logFormat: z.enum(['auto', 'json', 'pretty']).default('auto'),
  /**
   * `SWITCHYARD_METRICS_WORKSPACES`: comma-separated workspace ids (`ws_...`, at most 100) whose
   * events and deliveries get a `workspace` label of their own in `/metrics`; every other
   * workspace counts as `other`, so the number of series stays bounded. (Default: none)
   */
  metricsWorkspaces: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((id) => id.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^ws_[0-9a-f]{32}$/, 'use workspace ids as the API shows them, e.g. ws_0193...')).max(100)),
  /**
   * `SWITCHYARD_HUBSPOT_API_URL`: base of HubSpot's API, where contacts are upserted, events sent
   * and OAuth tokens issued (`{api}/oauth/v1/token`). (Default: https://api.hubapi.com)
   */
  hubspotApiUrl: vendorUrl.default(HUBSPOT_API_URL),
  /** `SWITCHYARD_HUBSPOT_AUTHORIZE_URL`: HubSpot's OAuth consent page. (Default: https://app.hubspot.com/oauth/authorize) */
  hubspotAuthorizeUrl: vendorUrl.default(HUBSPOT_AUTHORIZE_URL),
  /** `SWITCHYARD_HUBSPOT_CLIENT_ID`: the client id of the operator's HubSpot app; HUBSPOT connections without a private app token need it. (Default: unset) */
  hubspotClientId: clientCredential,
  /** `SWITCHYARD_HUBSPOT_CLIENT_SECRET`: that app's client secret. (Default: unset) */
  hubspotClientSecret: clientCredential,
  /**
   * `SWITCHYARD_HUBSPOT_SCOPES`: what HubSpot's consent asks for; it must match the app's
   * required scopes. Add `analytics.behavioral_events.send` for SEND_EVENT.
   * (Default: oauth crm.objects.contacts.read crm.objects.contacts.write)
   */
  hubspotScopes: scopes('oauth crm.objects.contacts.read crm.objects.contacts.write'),
  /**
   * `SWITCHYARD_SALESFORCE_LOGIN_URL`: where Salesforce's OAuth lives (`/services/oauth2/authorize`
   * and `/token`): `https://test.salesforce.com` for sandboxes, or a My Domain login URL. Instance
   * URLs must be on an official Salesforce domain or on this host. (Default: https://login.salesforce.com)
   */
  salesforceLoginUrl: vendorUrl.default(SALESFORCE_LOGIN_URL),
  /** `SWITCHYARD_SALESFORCE_CLIENT_ID`: the consumer key of the operator's Salesforce connected app. (Default: unset) */
  salesforceClientId: clientCredential,
  /** `SWITCHYARD_SALESFORCE_CLIENT_SECRET`: that app's consumer secret. (Default: unset) */
  salesforceClientSecret: clientCredential,
  /** `SWITCHYARD_SALESFORCE_SCOPES`: what Salesforce's consent asks for. (Default: api refresh_token) */
  salesforceScopes: scopes('api refresh_token'),
  /** `SWITCHYARD_SLACK_AUTHORIZE_URL`: Slack's OAuth consent page; tokens come from `{slack api}/oauth.v2.access`. (Default: https://slack.com/oauth/v2/authorize) */
  slackAuthorizeUrl: vendorUrl.default(SLACK_AUTHORIZE_URL),
  /** `SWITCHYARD_SLACK_CLIENT_ID`: the client id of the operator's Slack app, for SLACK connections installed through OAuth. (Default: unset) */
  slackClientId: clientCredential,
  /** `SWITCHYARD_SLACK_CLIENT_SECRET`: that app's client secret. (Default: unset) */
  slackClientSecret: clientCredential,
  /** `SWITCHYARD_SLACK_SCOPES`: the bot scopes Slack's consent asks for: posting, and to public channels the bot was not invited to. (Default: chat:write chat:write.public) */
  slackScopes: scopes('chat:write chat:write.public'),
  /**
   * `SWITCHYARD_OAUTH_REFRESH_AHEAD_SECONDS`: how long before an OAuth access token expires it
   * is refreshed, so no request goes out with a token about to lapse. (Default: 300)
   */
  oauthRefreshAheadSeconds: z.coerce.number().int().min(0).max(3600).default(300),
}).superRefine((config, context) => {
  // Half an OAuth app is a typo, not a choice: say so at start rather than at the first consent.
  for (const provider of ['hubspot', 'salesforce', 'slack'] as const) {
    const hasId = config[`${provider}ClientId`] !== undefined;
    if (hasId === (config[`${provider}ClientSecret`] !== undefined)) continue;
    const name = (part: string) => `SWITCHYARD_${provider.toUpperCase()}_CLIENT_${part}`;
    context.addIssue({
      code: 'custom',
      path: [hasId ? `${provider}ClientSecret` : `${provider}ClientId`],
      message: `must be set with ${name(hasId ? 'ID' : 'SECRET')}`,
    });
  }
});

export type Config = z.infer<typeof schema>;

/** The environment variable behind each setting. */
export const variables: Record<keyof Config, string> = {
  databaseUrl: 'DATABASE_URL',
  port: 'PORT',
  host: 'SWITCHYARD_HOST',
  opsPort: 'SWITCHYARD_OPS_PORT',
  parentPid: 'SWITCHYARD_PARENT_PID',
  role: 'SWITCHYARD_ROLE',
  dataDir: 'SWITCHYARD_DATA_DIR',
  embeddedPgPort: 'SWITCHYARD_EMBEDDED_PG_PORT',
  adminKey: 'SWITCHYARD_ADMIN_KEY',
  encryptionKeys: 'SWITCHYARD_ENCRYPTION_KEYS',
  allowPrivateTargets: 'SWITCHYARD_ALLOW_PRIVATE_TARGETS',
  workerConcurrency: 'SWITCHYARD_WORKER_CONCURRENCY',
  defaultMaxConcurrency: 'SWITCHYARD_DEFAULT_MAX_CONCURRENCY',
  staleJobSeconds: 'SWITCHYARD_STALE_JOB_SECONDS',
  maxPayloadBytes: 'SWITCHYARD_MAX_PAYLOAD_BYTES',
  maxPayloadDepth: 'SWITCHYARD_MAX_PAYLOAD_DEPTH',
  ingestRateLimitPerSecond: 'SWITCHYARD_INGEST_RATE_LIMIT_PER_SECOND',
  maxTransformBytes: 'SWITCHYARD_MAX_TRANSFORM_BYTES',
  expressionTimeoutMs: 'SWITCHYARD_EXPRESSION_TIMEOUT_MS',
  expressionMemoryMb: 'SWITCHYARD_EXPRESSION_MEMORY_MB',
  maxResponseBytes: 'SWITCHYARD_MAX_RESPONSE_BYTES',
  maxRetryAfterSeconds: 'SWITCHYARD_MAX_RETRY_AFTER_SECONDS',
  quotaProbeSeconds: 'SWITCHYARD_QUOTA_PROBE_SECONDS',
  failureAlertThreshold: 'SWITCHYARD_FAILURE_ALERT_THRESHOLD',
  disableAfterSeconds: 'SWITCHYARD_DISABLE_AFTER_SECONDS',
  maxSubscriptionsPerSocket: 'SWITCHYARD_MAX_SUBSCRIPTIONS_PER_SOCKET',
  publicUrl: 'SWITCHYARD_PUBLIC_URL',
  graphqlMaxDocumentLength: 'SWITCHYARD_GRAPHQL_MAX_DOCUMENT_LENGTH',
  graphqlMaxTokens: 'SWITCHYARD_GRAPHQL_MAX_TOKENS',
  graphqlMaxDepth: 'SWITCHYARD_GRAPHQL_MAX_DEPTH',
  graphqlMaxAliases: 'SWITCHYARD_GRAPHQL_MAX_ALIASES',
  graphqlMaxCost: 'SWITCHYARD_GRAPHQL_MAX_COST',
  graphqlMaxDirectives: 'SWITCHYARD_GRAPHQL_MAX_DIRECTIVES',
  logLevel: 'SWITCHYARD_LOG_LEVEL',
  slackApiUrl: 'SWITCHYARD_SLACK_API_URL',
  slackWebhookBaseUrl: 'SWITCHYARD_SLACK_WEBHOOK_BASE_URL',
  mailchimpApiUrl: 'SWITCHYARD_MAILCHIMP_API_URL',
  logFormat: 'SWITCHYARD_LOG_FORMAT',
  metricsWorkspaces: 'SWITCHYARD_METRICS_WORKSPACES',
  hubspotApiUrl: 'SWITCHYARD_HUBSPOT_API_URL',
  hubspotAuthorizeUrl: 'SWITCHYARD_HUBSPOT_AUTHORIZE_URL',
  hubspotClientId: 'SWITCHYARD_HUBSPOT_CLIENT_ID',
  hubspotClientSecret: 'SWITCHYARD_HUBSPOT_CLIENT_SECRET',
  hubspotScopes: 'SWITCHYARD_HUBSPOT_SCOPES',
  salesforceLoginUrl: 'SWITCHYARD_SALESFORCE_LOGIN_URL',
  salesforceClientId: 'SWITCHYARD_SALESFORCE_CLIENT_ID',
  salesforceClientSecret: 'SWITCHYARD_SALESFORCE_CLIENT_SECRET',
  salesforceScopes: 'SWITCHYARD_SALESFORCE_SCOPES',
  slackAuthorizeUrl: 'SWITCHYARD_SLACK_AUTHORIZE_URL',
  slackClientId: 'SWITCHYARD_SLACK_CLIENT_ID',
  slackClientSecret: 'SWITCHYARD_SLACK_CLIENT_SECRET',
  slackScopes: 'SWITCHYARD_SLACK_SCOPES',
  oauthRefreshAheadSeconds: 'SWITCHYARD_OAUTH_REFRESH_AHEAD_SECONDS',
};

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.problems = problems;
  }
}

/**
 * Reads the configuration from `env` (the process's environment by default, with `overrides`
 * on top), listing every problem at once in a `ConfigError`.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Record<string, string> = {}): Config {
  env = { ...env, ...overrides };
  const raw = Object.fromEntries(
    Object.entries(variables).map(([key, name]) => [key, env[name] === '' ? undefined : env[name]]),
  );
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const key = issue.path[0] as keyof Config;
      return `${variables[key] ?? String(key)}: ${issue.message}`;
    }),
  );
}

/** What the `switchyard` CLI's client commands read from the environment; flags override each. */
export interface CliEnvironment {
  /** `SWITCHYARD_URL`: the API the commands talk to. (Default: http://127.0.0.1:$PORT) */
  url: string;
  /** `SWITCHYARD_API_KEY`: the workspace key of `tail`, `replay`, `send-test` and `key`. */
  apiKey?: string;
  /** `SWITCHYARD_ADMIN_KEY`: the admin key of `workspace create`. */
  adminKey?: string;
}

/** Reads the CLI's environment (see CliEnvironment). */
export function loadCliEnvironment(env: Record<string, string | undefined> = process.env): CliEnvironment {
  const port = env.PORT || '4000';
  return {
    url: env.SWITCHYARD_URL || `http://127.0.0.1:${port}`,
    ...(env.SWITCHYARD_API_KEY && { apiKey: env.SWITCHYARD_API_KEY }),
    ...(env.SWITCHYARD_ADMIN_KEY && { adminKey: env.SWITCHYARD_ADMIN_KEY }),
  };
}

/** Configuration with every default, overridden by `overrides`: for tests and tools. */
export function defaultConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({}), ...overrides };
}
