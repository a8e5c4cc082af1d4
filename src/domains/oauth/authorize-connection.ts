import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import { MAX_URL_LENGTH } from '../connections/target-url.ts';
import { Connection } from '../connections/connection.entity.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { oauthProvider, type OAuthProvider } from './oauth-providers.ts';
import { createConsent } from './oauth-states.ts';
import { portalReturnProblem, type PortalReturns } from './return-url.ts';

/** Where every provider sends people back, under the public URL. */
export const OAUTH_CALLBACK_PATH = '/oauth/callback';

/** The callback URL providers redirect to: `{SWITCHYARD_PUBLIC_URL or the API's URL}/oauth/callback`. */
export function callbackUrl(config: Config, apiUrl: string): string {
  return `${config.publicUrl ?? apiUrl}${OAUTH_CALLBACK_PATH}`;
}

const returnUrl = z
  .string()
  .max(MAX_URL_LENGTH, `must be at most ${MAX_URL_LENGTH} characters`)
  .refine((raw) => {
    try {
      const url = new URL(raw);
      return /^https?:$/.test(url.protocol) && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'must be an absolute http or https URL without credentials: where the person is sent back with the outcome');

const input = z.object({ returnUrl });

/**
 * The connection `connectionId` of the workspace with the OAuth provider of its kind, configured.
 * @throws NotFoundError for another workspace's or an unknown connection
 * @throws ConflictError for a kind without OAuth, or a provider whose app the server lacks
 */
export async function oauthConnection(em: EntityManager, config: Config, workspaceId: string, connectionId: string): Promise<{ connection: Connection; provider: OAuthProvider }> {
  const connection = await em.findOne(Connection, { id: connectionId, workspace: workspaceId });
  if (!connection) throw new NotFoundError('Connection', connectionId);
  const provider = oauthProvider(config, connection.kind);
  if (!provider) throw new ConflictError(['input', 'connectionId'], `${connection.kind} connections do not authorize through OAuth; HUBSPOT, SALESFORCE and SLACK ones do`);
  return { connection, provider };
}

/**
 * Starts a consent for an OAuth connection: the provider's authorization URL with a single-use
 * `state` bound to the connection (and an S256 code challenge where the provider takes PKCE),
 * valid for ten minutes. Opening it, the person consents at the provider, which sends them to
 * `/oauth/callback`; that stores the tokens and sends them on to `returnUrl` with the outcome.
 * Nothing about the connection changes until then. Asked by a portal session (`portalReturns`),
 * `returnUrl` must lead back to the portal or to an origin the workspace allows, so the callback
 * never sends a customer's browser anywhere else.
 * @throws ValidationError naming `returnUrl`
 */
export async function authorizeConnection(
  em: EntityManager,
  config: Config,
  workspaceId: string,
  connectionId: string,
  given: { returnUrl: unknown },
  redirectUri: string,
  portalReturns?: PortalReturns,
): Promise<{ authorizationUrl: string; expiresAt: Date }> {
  const { returnUrl: back } = parseInput(input, given);
  const refused = portalReturns && portalReturnProblem(back, portalReturns);
  if (refused) throw ValidationError.field(['input', 'returnUrl'], refused);
  const { provider } = await oauthConnection(em, config, workspaceId, connectionId);
  if (!provider.clientId || !provider.clientSecret) {
    throw new ConflictError(['input', 'connectionId'], `${provider.label} OAuth is not configured on this server: set ${provider.variables.clientId} and ${provider.variables.clientSecret}`);
  }
  const consent = await createConsent(em, { workspaceId, connectionId }, back, provider.pkce);
  const url = new URL(provider.authorizeUrl);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', provider.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set(provider.scopeParameter, provider.scopes);
  url.searchParams.set('state', consent.state);
  if (consent.codeChallenge) {
    url.searchParams.set('code_challenge', consent.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
  }
  return { authorizationUrl: url.href, expiresAt: consent.expiresAt };
}
