import { randomBytes, randomUUID } from 'node:crypto';
import { injectedFaults, startContractServer, tokenBucket, type ContractReply, type ContractRequest, type ContractServer } from './contract-server.ts';
import { oauthProvider, type OAuthProvider } from './oauth-contract.ts';

/**
 * A local stand-in for HubSpot that behaves as HubSpot documents it: OAuth at `/oauth/authorize`
 * and `/oauth/v1/token` (https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/guide:
 * 30-minute access tokens, `BAD_REFRESH_TOKEN`), batch upserts of contacts by email
 * (`/crm/v3/objects/contacts/batch/upsert`, up to 100 inputs, 207 with each failed input's
 * `objectWriteTraceId`), custom events (`/events/v3/send`, 204), and the errors of
 * https://developers.hubspot.com/docs/api-reference/error-handling: `{ status, message,
 * correlationId, category }`, 401 `EXPIRED_AUTHENTICATION`, 403 missing scopes, 423 locked, 429
 * with `policyName` `TEN_SECONDLY_ROLLING` or `DAILY`.
 */
export interface HubSpotContract {
  server: ContractServer;
  oauth: OAuthProvider;
  /** What to configure as `SWITCHYARD_HUBSPOT_API_URL`. */
  apiUrl: string;
  /** What to configure as `SWITCHYARD_HUBSPOT_AUTHORIZE_URL`. */
  authorizeUrl: string;
  /** A private app token with the contacts and events scopes (or only `scopes`). */
  addPrivateAppToken(scopes?: string[]): string;
  /** Contacts by lowercased email. */
  readonly contacts: Map<string, { id: string; properties: Record<string, string> }>;
  /** Events accepted by `/events/v3/send`, in order. */
  readonly events: Record<string, unknown>[];
  /** Upsert calls answered, whatever their outcome. */
  readonly batchCalls: ContractRequest[];
  /** Answers the next `count` API requests (not OAuth ones) with `reply` instead. */
  failNext(count: number, reply: ContractReply): void;
  /** Milliseconds every API answer takes, so calls in flight at once can be seen. */
  latencyMs: number;
  close(): Promise<void>;
}

const CONTACT_SCOPES = ['crm.objects.contacts.read', 'crm.objects.contacts.write'];
const EVENT_SCOPE = 'analytics.behavioral_events.send';
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const KNOWN_PROPERTIES = new Set(['email', 'firstname', 'lastname', 'phone', 'company', 'website', 'city', 'country', 'jobtitle', 'lifecyclestage']);

/** A HubSpot error body. */
export function hubspotError(status: number, category: string, message: string, extra: Record<string, unknown> = {}): ContractReply {
  return { status, body: { status: 'error', message, correlationId: randomUUID(), category, ...extra } };
}

/**
 * HubSpot's 429 for `policyName` `TEN_SECONDLY_ROLLING`, `SECONDLY` or `DAILY`, with the rate
 * limit headers HubSpot sends: `X-HubSpot-RateLimit-Interval-Milliseconds` (the window's length)
 * on a window's 429, and `headers` (a `Retry-After`, say) on top.
 */
export function hubspotRateLimited(policyName: 'TEN_SECONDLY_ROLLING' | 'DAILY' | 'SECONDLY', headers: Record<string, string> = {}): ContractReply {
  const window = { TEN_SECONDLY_ROLLING: '10000', SECONDLY: '1000', DAILY: undefined }[policyName];
  return {
    ...hubspotError(429, 'RATE_LIMITS', `You have reached your ${policyName.toLowerCase()} limit.`, { errorType: 'RATE_LIMIT', policyName }),
    headers: { ...(window && { 'x-hubspot-ratelimit-interval-milliseconds': window, 'x-hubspot-ratelimit-remaining': '0' }), ...headers },
  };
}

export async function startHubSpotContract(options: { accessTokenLifetimeSeconds?: number; rotateRefreshTokens?: boolean; requestsPerTenSeconds?: number } = {}): Promise<HubSpotContract> {
  const oauth = oauthProvider(
    {
      authorizePath: '/oauth/authorize',
      granted: ({ accessToken, refreshToken, lifetime }) => ({ status: 200, body: { token_type: 'bearer', refresh_token: refreshToken, access_token: accessToken, expires_in: lifetime } }),
      refused: (reason) =>
        reason === 'refresh_token' ? { status: 400, body: { status: 'BAD_REFRESH_TOKEN', message: 'missing or invalid refresh token', correlationId: randomUUID() } }
        : reason === 'client' ? { status: 400, body: { status: 'BAD_CLIENT_ID', message: 'missing or unknown client id', correlationId: randomUUID() } }
        : reason === 'redirect_uri' ? { status: 400, body: { status: 'BAD_REDIRECT_URI', message: 'redirect_uri does not match', correlationId: randomUUID() } }
        : { status: 400, body: { status: 'BAD_AUTH_CODE', message: 'missing or unknown auth code', correlationId: randomUUID() } },
      returnsRefreshTokenOnRefresh: true,
    },
    { accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 1800, rotateRefreshTokens: options.rotateRefreshTokens ?? false, tokenPrefix: 'CJ' },
  );
  const privateTokens = new Map<string, Set<string>>();
  const contacts = new Map<string, { id: string; properties: Record<string, string> }>();
  const events: Record<string, unknown>[] = [];
  const batchCalls: ContractRequest[] = [];
  const faults = injectedFaults();
  const buckets = new Map<string, () => number>();
  let nextId = 1000;
  let latencyMs = 0;

  /** The scopes of the request's token, or the error that refuses it. */
  function authorized(request: ContractRequest): Set<string> | ContractReply {
    const token = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    if (!token) return hubspotError(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found.');
    const scopes = privateTokens.get(token);
    if (scopes) return scopes;
    if (oauth.isLive(token)) return new Set([...CONTACT_SCOPES, EVENT_SCOPE]);
    if (oauth.accessTokens.includes(token)) return hubspotError(401, 'EXPIRED_AUTHENTICATION', 'The OAuth token used to make this call expired 1 second(s) ago.');
    return hubspotError(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found.');
  }

  function missingScope(scopes: Set<string>, needed: string): ContractReply | undefined {
    if (scopes.has(needed)) return undefined;
    return hubspotError(403, 'MISSING_SCOPES', "This app hasn't been granted all required scopes to make this call.", {
      errors: [{ message: `One or more of the following scopes are required.`, context: { requiredGranularScopes: [needed] } }],
    });
  }

  function upsert(request: ContractRequest, scopes: Set<string>): ContractReply {
    batchCalls.push(request);
    const refused = missingScope(scopes, 'crm.objects.contacts.write');
    if (refused) return refused;
    const { inputs } = JSON.parse(request.body) as { inputs?: { id?: string; idProperty?: string; properties?: Record<string, unknown>; objectWriteTraceId?: string }[] };
    if (!Array.isArray(inputs) || inputs.length === 0) return hubspotError(400, 'VALIDATION_ERROR', 'Invalid input JSON: inputs is required');
    if (inputs.length > 100) return hubspotError(400, 'VALIDATION_ERROR', 'Batch input cannot exceed 100 inputs');
    const ids = inputs.map((input) => String(input.id ?? '').toLowerCase());
    if (new Set(ids).size !== ids.length) return hubspotError(400, 'VALIDATION_ERROR', 'Duplicate IDs found in batch input');
    const results: Record<string, unknown>[] = [];
    const errors: Record<string, unknown>[] = [];
    for (const input of inputs) {
      const email = String(input.id ?? '');
      const unknown = Object.keys(input.properties ?? {}).filter((name) => !KNOWN_PROPERTIES.has(name));
      const problem =
        input.idProperty !== 'email' ? `idProperty must be email`
        : !EMAIL.test(email) ? `Property values were not valid: email "${email}" is invalid`
        : unknown.length > 0 ? `Property "${unknown[0]}" does not exist`
        : undefined;
      const trace = input.objectWriteTraceId;
      if (problem) {
        errors.push({ status: 'error', category: 'VALIDATION_ERROR', message: problem, context: trace ? { objectWriteTraceId: [trace] } : {} });
        continue;
      }
      const key = email.toLowerCase();
      const existing = contacts.get(key);
      const properties = Object.fromEntries(Object.entries(input.properties ?? {}).map(([name, value]) => [name, String(value)]));
      const contact = { id: existing?.id ?? String(nextId++), properties: { ...existing?.properties, ...properties, email: key } };
      contacts.set(key, contact);
      const now = new Date().toISOString();
      results.push({ id: contact.id, properties: contact.properties, createdAt: now, updatedAt: now, archived: false, new: !existing, ...(trace && { objectWriteTraceId: trace }) });
    }
    const body = { status: 'COMPLETE', results, startedAt: new Date().toISOString(), completedAt: new Date().toISOString(), ...(errors.length > 0 && { numErrors: errors.length, errors }) };
    return { status: errors.length > 0 ? 207 : 200, body };
  }

  function sendEvent(request: ContractRequest, scopes: Set<string>): ContractReply {
    const refused = missingScope(scopes, EVENT_SCOPE);
    if (refused) return refused;
    const event = JSON.parse(request.body) as Record<string, unknown>;
    if (typeof event.eventName !== 'string' || !/^pe\d+_/.test(event.eventName)) {
      return hubspotError(400, 'VALIDATION_ERROR', `Event definition ${String(event.eventName)} not found`);
    }
    if (typeof event.email !== 'string' && event.objectId === undefined && event.utk === undefined) {
      return hubspotError(400, 'VALIDATION_ERROR', 'One of email, utk or objectId is required');
    }
    events.push(event);
    return { status: 204 };
  }

  const answer = (request: ContractRequest): ContractReply => {
    const fault = faults.next();
    if (fault) return fault;
    const scopes = authorized(request);
    if (!(scopes instanceof Set)) return scopes;
    const token = String(request.headers.authorization);
    let bucket = buckets.get(token);
    if (!bucket) buckets.set(token, (bucket = tokenBucket((options.requestsPerTenSeconds ?? 190) / 10, options.requestsPerTenSeconds ?? 190)));
    if (bucket() > 0) return hubspotRateLimited('TEN_SECONDLY_ROLLING');
    if (request.method === 'POST' && request.path === '/crm/v3/objects/contacts/batch/upsert') return upsert(request, scopes);
    if (request.method === 'POST' && request.path === '/events/v3/send') return sendEvent(request, scopes);
    return hubspotError(404, 'OBJECT_NOT_FOUND', `No route for ${request.method} ${request.path}`);
  };
  const server = await startContractServer((request) => {
    if (request.path.startsWith('/oauth/authorize')) return oauth.authorize(request);
    if (request.path === '/oauth/v1/token' && request.method === 'POST') return oauth.token(request);
    const reply = answer(request);
    return { ...reply, delayMs: reply.delayMs ?? latencyMs };
  });

  return {
    server,
    oauth,
    apiUrl: server.origin,
    authorizeUrl: `${server.origin}/oauth/authorize`,
    addPrivateAppToken(scopes = [...CONTACT_SCOPES, EVENT_SCOPE]) {
      const token = `pat-na1-${randomUUID()}`;
      privateTokens.set(token, new Set(scopes));
      return token;
    },
    contacts,
    events,
    batchCalls,
    failNext: faults.failNext,
    get latencyMs() {
      return latencyMs;
    },
    set latencyMs(value: number) {
      latencyMs = value;
    },
    close: () => server.close(),
  };
}

/** A fresh email a test owns. */
export function uniqueEmail(name = 'contact'): string {
  return `${name}.${randomBytes(4).toString('hex')}@example.com`;
}
