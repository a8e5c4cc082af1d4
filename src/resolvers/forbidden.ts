import { GraphQLError, type GraphQLResolveInfo } from 'graphql';
import { AuthScopeFailureType, type AuthFailure } from '@pothos/plugin-scope-auth';
import type { Principal, PrincipalKind } from '../domains/auth/principal.ts';

/** Which principals hold each auth scope of the builder (given its parameter), for telling a caller what it needs. */
const KEYS_FOR_SCOPE: Record<string, (parameter: unknown) => { kinds: PrincipalKind[]; needs: string }> = {
  admin: () => ({ kinds: ['ADMIN'], needs: 'the admin key (SWITCHYARD_ADMIN_KEY)' }),
  secret: () => ({ kinds: ['SECRET'], needs: 'a secret key of the workspace (sy_sk_...)' }),
  emit: () => ({ kinds: ['SECRET', 'PUBLISHABLE'], needs: 'a secret or publishable key of the workspace (sy_sk_... or sy_pk_...)' }),
  portal: (capability) => ({ kinds: ['PORTAL'], needs: `a portal session with the ${String(capability)} capability` }),
};

/** What each kind of principal is, as the message names the one that was sent. */
const KINDS: Record<PrincipalKind, string> = {
  ADMIN: 'the admin key, which manages workspaces only',
  SECRET: 'a secret key',
  PUBLISHABLE: 'a publishable key (sy_pk_...), which may only emit events',
  PORTAL: 'a portal session',
};

/**
 * FORBIDDEN for a key that lacks the scope a field needs, saying which key would do and which
 * was sent, e.g. "connections needs a secret key of the workspace (sy_sk_...); this request
 * used a publishable key (sy_pk_...), which may only emit events". `extensions.requiredKeyKinds`
 * lists the kinds that would do, for programs.
 */
export function forbiddenError(principal: Principal, info: GraphQLResolveInfo, failure: AuthFailure): GraphQLError {
  const scopes = failedScopes(failure);
  const known = scopes.flatMap(({ scope, parameter }) => KEYS_FOR_SCOPE[scope]?.(parameter) ?? []);
  const needs = known.length > 0 ? [...new Set(known.map((entry) => entry.needs))].join(' or ') : 'another kind of key';
  const rootTypes = [info.schema.getQueryType(), info.schema.getMutationType(), info.schema.getSubscriptionType()];
  const field = rootTypes.includes(info.parentType) ? info.fieldName : `${info.parentType.name}.${info.fieldName}`;
  const sent = principal.kind === 'PORTAL' ? `${KINDS.PORTAL} with ${principal.portal?.capabilities.join(', ') || 'no capabilities'}` : KINDS[principal.kind];
  return new GraphQLError(`${field} needs ${needs}; this request used ${sent}`, {
    extensions: {
      code: 'FORBIDDEN',
      requiredKeyKinds: [...new Set(known.flatMap((entry) => entry.kinds))],
      keyKind: principal.kind,
    },
  });
}

/** The scopes a failure names, with their parameters, through any nesting of "any of" and "all of". */
function failedScopes(failure: AuthFailure): { scope: string; parameter: unknown }[] {
  switch (failure.kind) {
    case AuthScopeFailureType.AuthScope:
      return [{ scope: failure.scope, parameter: failure.parameter }];
    case AuthScopeFailureType.GrantedScope:
      return [{ scope: failure.scope, parameter: undefined }];
    case AuthScopeFailureType.AnyAuthScopes:
    case AuthScopeFailureType.AllAuthScopes:
      return failure.failures.flatMap(failedScopes);
    default:
      return [];
  }
}
