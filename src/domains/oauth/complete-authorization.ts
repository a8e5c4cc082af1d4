import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config.ts';
import { Connection } from '../connections/connection.entity.ts';
import type { VendorClient } from '../destinations/http/vendor-client.ts';
import { encodeId } from '../public-ids.ts';
import { grantConnection } from './grant-connection.ts';
import { oauthProvider } from './oauth-providers.ts';
import { takeConsent } from './oauth-states.ts';
import { callTokenEndpoint } from './token-endpoint.ts';

/**
 * What the callback does with the browser: send it on to the consent's return URL with the
 * outcome, or show a refusal (a `state` that is unknown, used or expired: nothing was changed).
 */
export type CallbackAnswer = { kind: 'redirect'; location: string } | { kind: 'refused'; message: string };

/** `returnUrl` with the outcome added to its query: `outcome`, `connectionId`, and `error` when it failed. */
function back(returnUrl: string, connectionId: string, outcome: 'authorized' | 'denied' | 'failed', error?: string): CallbackAnswer {
  const url = new URL(returnUrl);
  url.searchParams.set('outcome', outcome);
  url.searchParams.set('connectionId', encodeId('Connection', connectionId));
  if (error) url.searchParams.set('error', error.slice(0, 500));
  return { kind: 'redirect', location: url.href };
}

/**
 * The end of a consent, `GET /oauth/callback?code&state` (or `?error&state` when the person
 * declined): takes the consent `state` names, once; exchanges the code (with the PKCE verifier)
 * at the provider's token endpoint; stores the tokens sealed and releases a connection that
 * waited for them. The person goes back to the return URL with `outcome=authorized`, `denied` or
 * `failed` (and `error`). An unknown, reused or expired `state` is refused and changes nothing.
 */
export async function completeAuthorization(
  em: EntityManager,
  config: Config,
  http: VendorClient,
  query: URLSearchParams,
  redirectUri: string,
): Promise<CallbackAnswer> {
  const consent = await takeConsent(em, query.get('state') ?? '');
  if (!consent) {
    return {
      kind: 'refused',
      message: 'This authorization link is not valid: it was already used, it expired (links last 10 minutes), or it was not issued by this server. Nothing was changed. Start the authorization again from the application.',
    };
  }
  const { connectionId } = consent;
  const connection = await em.findOne(Connection, { id: connectionId, workspace: consent.workspaceId }, { disableIdentityMap: true });
  const provider = connection ? oauthProvider(config, connection.kind) : undefined;
  if (!provider) return back(consent.returnUrl, connectionId, 'failed', 'the connection no longer authorizes through OAuth');
  const declined = query.get('error');
  if (declined) return back(consent.returnUrl, connectionId, 'denied', `${provider.label} answered ${declined}${query.get('error_description') ? `: ${query.get('error_description')}` : ''}`);
  const code = query.get('code');
  if (!code) return back(consent.returnUrl, connectionId, 'failed', `${provider.label} sent no authorization code`);
  const outcome = await callTokenEndpoint(provider, http, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    ...(consent.codeVerifier && { code_verifier: consent.codeVerifier }),
  });
  if (outcome.kind !== 'granted') return back(consent.returnUrl, connectionId, 'failed', outcome.reason);
  await grantConnection(em, consent, outcome.grant);
  return back(consent.returnUrl, connectionId, 'authorized');
}
