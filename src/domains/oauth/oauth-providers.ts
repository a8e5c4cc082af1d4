import type { Config } from '../../config.ts';
import type { ConnectionKind } from '../connections/connection.entity.ts';
import type { VendorBase } from '../destinations/vendor-urls.ts';
import { vendorUrls } from '../destinations/vendor-urls.ts';
import { salesforceInstanceProblem } from './salesforce-instance.ts';

/** The connection kinds Switchyard runs an OAuth flow for. */
export type OAuthKind = Extract<ConnectionKind, 'HUBSPOT' | 'SALESFORCE' | 'SLACK'>;

/** What a token endpoint granted. */
export interface TokenGrant {
  accessToken: string;
  /** Absent when the provider keeps the one it gave before (Salesforce's refresh answers). */
  refreshToken?: string;
  /** Absent when the provider does not say (Salesforce: the org's session timeout). */
  expiresInSeconds?: number;
  /** Where the grant's API calls go (Salesforce's `instance_url`). */
  instanceUrl?: string;
  scope?: string;
}

/**
 * One provider's OAuth app and its dialect: where consent and tokens live, what the consent asks
 * for, whether it takes PKCE, and how its token answers look. Names in `error` are the
 * configuration variables, so a missing app is reported as what to set.
 */
export interface OAuthProvider {
  kind: OAuthKind;
  /** For people: "HubSpot". */
  label: string;
  authorizeUrl: string;
  tokenUrl: string;
  /** The base the token URL lies on, for the vendor client's check. */
  tokenBase: VendorBase;
  clientId?: string;
  clientSecret?: string;
  scopes: string;
  /** The consent's scope parameter name (Slack's bot scopes are `scope`, its user scopes `user_scope`). */
  scopeParameter: string;
  /** Whether the authorization request carries an S256 code challenge (RFC 7636). */
  pkce: boolean;
  /** The variables that configure the app, for errors. */
  variables: { clientId: string; clientSecret: string };
  /** The grant in a 2xx answer, or undefined when it holds none (Slack's `ok: false`). */
  grantOf(answer: Record<string, unknown>): TokenGrant | undefined;
  /** Why a granted answer cannot be used (an instance URL off Salesforce), or undefined. */
  grantProblem(grant: TokenGrant): string | undefined;
}

/** Longest lifetime taken from a token answer's `expires_in` (ten years); a longer one is no lifetime a token has. */
export const MAX_TOKEN_LIFETIME_SECONDS = 10 * 365 * 86_400;

const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);
// A lifetime past any date would make an expiry no database can store: taken as none, so the token is refreshed when refused.
const seconds = (value: unknown) => (typeof value === 'number' && value > 0 && value <= MAX_TOKEN_LIFETIME_SECONDS ? value : undefined);

/** The standard answer of RFC 6749 section 5.1, which HubSpot and Salesforce follow. */
function standardGrant(answer: Record<string, unknown>): TokenGrant | undefined {
  const accessToken = text(answer.access_token);
  if (!accessToken) return undefined;
  return {
    accessToken,
    refreshToken: text(answer.refresh_token),
    expiresInSeconds: seconds(answer.expires_in),
    instanceUrl: text(answer.instance_url),
    scope: text(answer.scope),
  };
}

/** Slack's `oauth.v2.access`: `{ ok: true, access_token: "xoxb-…" }`, with a refresh token when token rotation is on. */
function slackGrant(answer: Record<string, unknown>): TokenGrant | undefined {
  return answer.ok === true ? standardGrant(answer) : undefined;
}

/** The OAuth provider of connections of `kind`, or undefined for a kind without OAuth. */
export function oauthProvider(config: Config, kind: ConnectionKind): OAuthProvider | undefined {
  const vendors = vendorUrls(config);
  switch (kind) {
    case 'HUBSPOT':
      return {
        kind,
        label: 'HubSpot',
        authorizeUrl: config.hubspotAuthorizeUrl,
        tokenUrl: `${vendors.hubspotApi.url}/oauth/v1/token`,
        tokenBase: vendors.hubspotApi,
        clientId: config.hubspotClientId,
        clientSecret: config.hubspotClientSecret,
        scopes: config.hubspotScopes,
        scopeParameter: 'scope',
        pkce: true,
        variables: { clientId: 'SWITCHYARD_HUBSPOT_CLIENT_ID', clientSecret: 'SWITCHYARD_HUBSPOT_CLIENT_SECRET' },
        grantOf: standardGrant,
        grantProblem: () => undefined,
      };
    case 'SALESFORCE':
      return {
        kind,
        label: 'Salesforce',
        authorizeUrl: `${vendors.salesforceLogin.url}/services/oauth2/authorize`,
        tokenUrl: `${vendors.salesforceLogin.url}/services/oauth2/token`,
        tokenBase: vendors.salesforceLogin,
        clientId: config.salesforceClientId,
        clientSecret: config.salesforceClientSecret,
        scopes: config.salesforceScopes,
        scopeParameter: 'scope',
        pkce: true,
        variables: { clientId: 'SWITCHYARD_SALESFORCE_CLIENT_ID', clientSecret: 'SWITCHYARD_SALESFORCE_CLIENT_SECRET' },
        grantOf: standardGrant,
        grantProblem: (grant) => salesforceInstanceProblem(grant.instanceUrl, vendors.salesforceLogin),
      };
    case 'SLACK':
      return {
        kind,
        label: 'Slack',
        authorizeUrl: config.slackAuthorizeUrl,
        tokenUrl: `${vendors.slackApi.url}/oauth.v2.access`,
        tokenBase: vendors.slackApi,
        clientId: config.slackClientId,
        clientSecret: config.slackClientSecret,
        // Slack's consent takes its scopes comma-separated.
        scopes: config.slackScopes.split(' ').join(','),
        scopeParameter: 'scope',
        // Slack takes PKCE only for apps that opt out of a client secret; a server-side app has one.
        pkce: false,
        variables: { clientId: 'SWITCHYARD_SLACK_CLIENT_ID', clientSecret: 'SWITCHYARD_SLACK_CLIENT_SECRET' },
        grantOf: slackGrant,
        grantProblem: (grant) => (grant.accessToken.startsWith('xoxb-') || grant.accessToken.startsWith('xoxe.xoxb-') ? undefined : 'Slack granted no bot token; add bot scopes to the app'),
      };
    default:
      return undefined;
  }
}
