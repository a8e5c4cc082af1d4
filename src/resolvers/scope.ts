import { GraphQLError } from 'graphql';
import type { Context } from '../server/context.ts';

/** The caller's workspace; resolvers reach it only behind a workspace scope check. */
export function workspaceOf(context: Context): string {
  const workspaceId = context.principal?.workspaceId;
  if (!workspaceId) throw new GraphQLError('This key has no workspace', { extensions: { code: 'FORBIDDEN' } });
  return workspaceId;
}
