import { createHash, randomBytes } from 'node:crypto';
import type { ContractReply, ContractRequest } from './contract-server.ts';

/**
 * The OAuth 2 authorization-code grant as a provider's contract server plays it (RFC 6749 with
 * PKCE, RFC 7636): a consent page a test follows and consents on, single-use codes bound to the
 * client, the redirect URI and the code challenge, short-lived access tokens, refresh tokens
 * that may rotate, and counters a test reads. Each provider says how its answers look
 * (`OAuthDialect`); HubSpot, Salesforce and Slack differ there and nowhere else.
 */
export interface OAuthProvider {
  /** What a test consents with: the consent form posts here. */
  readonly consentPath: string;
  /** The OAuth app's credentials the provider knows. */
  readonly clientId: string;
  readonly clientSecret: string;
  /** Token endpoint calls, by grant type. */
  readonly calls: { authorization_code: number; refresh_token: number };
  /** Access tokens issued, newest last. */
  readonly accessTokens: string[];
  /** Refresh tokens issued, newest last. */
  readonly refreshTokens: string[];
  /** Whether `token` is an access token that is live now. */
  isLive(token: string | undefined): boolean;
  /** Expires every access token issued so far (the clock moved past them). */
  expireAccessTokens(): void;
  /** Revokes every grant: refresh tokens are refused, access tokens too (an app uninstalled). */
  revokeGrants(): void;
  /** Lifetime of the access tokens issued from now on. */
  setAccessTokenLifetime(seconds: number): void;
  /** Answers refreshes only after `ms`, so callers that need one meanwhile pile up. */
  delayRefreshes(ms: number): void;
  /** Answers the authorize page (GET) and the consent form (POST). */
  authorize(request: ContractRequest): ContractReply;
  /** Answers the token endpoint. */
  token(request: ContractRequest): ContractReply;
}

/** How one provider's token endpoint answers. */
export interface OAuthDialect {
  authorizePath: string;
  /** A token answer for a grant of `accessToken` living `lifetime` seconds. */
  granted(tokens: { accessToken: string; refreshToken?: string; lifetime: number; scope: string }): ContractReply;
  /** A refused grant: a bad code, an unknown or revoked refresh token, a client that does not match. */
  refused(reason: 'code' | 'refresh_token' | 'client' | 'redirect_uri' | 'verifier'): ContractReply;
  /** A refresh answer omits the refresh token unless it rotated (Salesforce's does always omit it). */
  returnsRefreshTokenOnRefresh: boolean;
}

interface Code {
  clientId: string;
  redirectUri: string;
  scope: string;
  challenge?: string;
  expiresAt: number;
}

interface Grant {
  refreshToken: string;
  scope: string;
  revoked: boolean;
}

const secret = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function formOf(request: ContractRequest): URLSearchParams {
  return new URLSearchParams(request.method === 'GET' ? request.query : request.body);
}

export function oauthProvider(
  dialect: OAuthDialect,
  options: { accessTokenLifetimeSeconds: number; rotateRefreshTokens: boolean; tokenPrefix: string },
): OAuthProvider {
  const clientId = secret('client-');
  const clientSecret = secret('');
  const codes = new Map<string, Code>();
  const grants = new Map<string, Grant>();
  const live = new Map<string, { expiresAt: number; grant: Grant }>();
  const accessTokens: string[] = [];
  const refreshTokens: string[] = [];
  const calls = { authorization_code: 0, refresh_token: 0 };
  let lifetime = options.accessTokenLifetimeSeconds;
  let refreshDelayMs = 0;
  const consentPath = `${dialect.authorizePath}/consent`;

  function issue(grant: Grant): ContractReply {
    const accessToken = secret(options.tokenPrefix);
    accessTokens.push(accessToken);
    live.set(accessToken, { expiresAt: Date.now() + lifetime * 1000, grant });
    return dialect.granted({ accessToken, refreshToken: grant.refreshToken, lifetime, scope: grant.scope });
  }

  /** A refresh's answer: new tokens for a live grant (a new refresh token too when they rotate), or a refusal. */
  function refresh(given: string): ContractReply {
    const grant = grants.get(given);
    if (!grant || grant.revoked) return dialect.refused('refresh_token');
    if (options.rotateRefreshTokens) {
      // The old refresh token stops working the moment the new one is issued.
      grants.delete(given);
      grant.refreshToken = secret('refresh-');
      refreshTokens.push(grant.refreshToken);
      grants.set(grant.refreshToken, grant);
      return issue(grant);
    }
    const reply = issue(grant);
    if (!dialect.returnsRefreshTokenOnRefresh && reply.body && typeof reply.body === 'object') delete (reply.body as Record<string, unknown>).refresh_token;
    return reply;
  }

  return {
    consentPath,
    clientId,
    clientSecret,
    calls,
    accessTokens,
    refreshTokens,
    isLive(token) {
      const entry = token ? live.get(token) : undefined;
      return entry !== undefined && !entry.grant.revoked && entry.expiresAt > Date.now();
    },
    expireAccessTokens: () => live.forEach((entry) => (entry.expiresAt = 0)),
    revokeGrants: () => grants.forEach((grant) => (grant.revoked = true)),
    setAccessTokenLifetime: (seconds) => void (lifetime = seconds),
    delayRefreshes: (ms) => void (refreshDelayMs = ms),

    authorize(request): ContractReply {
      const form = formOf(request);
      const redirectUri = form.get('redirect_uri') ?? '';
      if (form.get('client_id') !== clientId || !/^https?:\/\//.test(redirectUri)) {
        return { status: 400, headers: { 'content-type': 'text/html' }, body: '<h1>This app is not known, or its redirect URI is not</h1>' };
      }
      const state = form.get('state') ?? '';
      if (request.method === 'GET') {
        // The consent page: a form that posts back everything the authorization request said.
        const hidden = [...form].map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join('');
        const page = `<!doctype html><title>Authorize</title><h1>Allow access?</h1><p>Scopes: ${escapeHtml(form.get('scope') ?? '')}</p>
          <form method="post" action="${consentPath}">${hidden}<button name="decision" value="allow">Allow</button><button name="decision" value="deny">Deny</button></form>`;
        return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: page };
      }
      const back = new URL(redirectUri);
      if (form.get('decision') !== 'allow') {
        back.searchParams.set('error', 'access_denied');
        back.searchParams.set('error_description', 'The user denied access');
      } else {
        const code = secret('code-');
        const challenge = form.get('code_challenge') ?? undefined;
        codes.set(code, { clientId, redirectUri, scope: form.get('scope') ?? '', challenge, expiresAt: Date.now() + 60_000 });
        back.searchParams.set('code', code);
      }
      if (state) back.searchParams.set('state', state);
      return { status: 302, headers: { location: back.href } };
    },

    token(request): ContractReply {
      const form = formOf(request);
      const type = form.get('grant_type');
      if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) return dialect.refused('client');
      if (type === 'authorization_code') {
        calls.authorization_code += 1;
        const code = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        if (!code || code.expiresAt < Date.now()) return dialect.refused('code');
        if (code.redirectUri !== form.get('redirect_uri')) return dialect.refused('redirect_uri');
        if (code.challenge !== undefined) {
          const verifier = form.get('code_verifier') ?? '';
          if (createHash('sha256').update(verifier).digest('base64url') !== code.challenge) return dialect.refused('verifier');
        }
        const grant: Grant = { refreshToken: secret('refresh-'), scope: code.scope, revoked: false };
        refreshTokens.push(grant.refreshToken);
        grants.set(grant.refreshToken, grant);
        return issue(grant);
      }
      if (type === 'refresh_token') {
        calls.refresh_token += 1;
        return { ...refresh(form.get('refresh_token') ?? ''), delayMs: refreshDelayMs };
      }
      return { status: 400, body: { error: 'unsupported_grant_type' } };
    },
  };

}

/** What came of following an authorization URL and answering its consent page. */
export interface Consent {
  /** Where Switchyard's callback sent the browser at the end. */
  location: string;
  /** The callback's own answer, when it did not redirect (a refused `state`). */
  status: number;
  body: string;
}

/**
 * Does what a person's browser does with an `authorizationUrl`: opens the provider's consent
 * page, presses Allow (or Deny), follows the provider's redirect to Switchyard's callback, and
 * returns where the callback sends it. Every hop is a real HTTP request on 127.0.0.1.
 */
export async function followConsent(authorizationUrl: string, decision: 'allow' | 'deny' = 'allow'): Promise<Consent> {
  const page = await fetch(authorizationUrl);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`the consent page answered ${page.status}: ${html}`);
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error('the consent page has no form');
  const fields = new URLSearchParams([...html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map((m) => [unescape(m[1]!), unescape(m[2]!)]));
  fields.set('decision', decision);
  const consented = await fetch(new URL(action, authorizationUrl), { method: 'POST', body: fields, redirect: 'manual' });
  const callback = consented.headers.get('location');
  if (consented.status !== 302 || !callback) throw new Error(`the consent answered ${consented.status} without a redirect`);
  return visitCallback(callback);
}

/** Opens Switchyard's callback URL as a browser would, without following its redirect. */
export async function visitCallback(url: string): Promise<Consent> {
  const answer = await fetch(url, { redirect: 'manual' });
  return { location: answer.headers.get('location') ?? '', status: answer.status, body: await answer.text() };
}

function unescape(value: string): string {
  return value.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}
