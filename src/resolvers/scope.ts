import { GraphQLError } from 'graphql';
import type { Context } from '../server/context.ts';

/** The caller's workspace; resolvers reach it only behind a workspace scope check. */
export function workspaceOf(context: Context): string {
  const workspaceId = context.principal?.workspaceId;
  if (!workspaceId) throw new GraphQLError('This key has no workspace', { extensions: { code: 'FORBIDDEN' } });
  return workspaceId;
}

/** Reads open to a secret key and to every portal session of the workspace. */
export const readScopes = { secret: true, portal: 'VIEW' } as const;

/** A change open to a secret key and to portal sessions granted `capability`. */
export function changeScopes(capability: 'MANAGE_ENDPOINTS' | 'VIEW_SECRETS' | 'MANAGE_SECRETS' | 'REPLAY' | 'SEND_TEST') {
  return { secret: true, portal: capability } as const;
}
