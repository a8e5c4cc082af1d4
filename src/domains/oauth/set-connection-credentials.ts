import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import type { Connection } from '../connections/connection.entity.ts';
import { ValidationError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { oauthConnection } from './authorize-connection.ts';
import { grantConnection } from './grant-connection.ts';
import { MAX_TOKEN_LIFETIME_SECONDS } from './oauth-providers.ts';
import { MAX_TOKEN_LENGTH, TOKEN_SHAPE } from './token-endpoint.ts';

const token = (what: string) =>
  z
    .string()
    .min(1, `is required: the ${what}`)
    .max(MAX_TOKEN_LENGTH, `must be at most ${MAX_TOKEN_LENGTH} characters`)
    .regex(TOKEN_SHAPE, 'must be printable ASCII without spaces, as the provider issued it');

const input = z.object({
  accessToken: token('access token'),
  refreshToken: token('refresh token').nullish(),
  expiresInSeconds: z.number().int('must be a whole number of seconds').min(1, 'must be at least 1').max(MAX_TOKEN_LIFETIME_SECONDS, 'must be at most ten years').nullish(),
  instanceUrl: z.string().max(2048, 'must be at most 2048 characters').nullish(),
});

/**
 * Gives an OAuth connection tokens from the product's own OAuth flow instead of Switchyard's:
 * stored sealed, refreshed like a consent's (with `refreshToken`; without one the connection
 * waits for new tokens once the access token expires), and a connection that waited for them
 * released. `instanceUrl` is a Salesforce grant's, required there and checked like a consent's.
 * @throws ValidationError naming the field
 */
export async function setConnectionCredentials(
  em: EntityManager,
  config: Config,
  workspaceId: string,
  connectionId: string,
  given: Record<string, unknown>,
): Promise<Connection> {
  const data = parseInput(input, given);
  const { connection, provider } = await oauthConnection(em, config, workspaceId, connectionId);
  const grant = {
    accessToken: data.accessToken,
    refreshToken: data.refreshToken ?? undefined,
    expiresInSeconds: data.expiresInSeconds ?? undefined,
    instanceUrl: data.instanceUrl ?? undefined,
  };
  if (provider.kind !== 'SALESFORCE' && grant.instanceUrl !== undefined) {
    throw ValidationError.field(['input', 'instanceUrl'], `is for SALESFORCE connections; this is a ${provider.kind} connection`);
  }
  const problem = provider.grantProblem(grant);
  if (problem) throw ValidationError.field(['input', provider.kind === 'SALESFORCE' ? 'instanceUrl' : 'accessToken'], problem);
  await grantConnection(em, { workspaceId, connectionId }, grant);
  await em.refresh(connection);
  return connection;
}
