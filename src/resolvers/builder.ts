import SchemaBuilder from '@pothos/core';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import { GraphQLError } from 'graphql';
import { DateTimeResolver, JSONResolver, SafeIntResolver } from 'graphql-scalars';
import type { Context } from '../server/context.ts';
import type { PortalCapability } from '../domains/portal/capabilities.ts';
import { eventsRefused, workspaceLabel } from '../observability/metrics.ts';
import { forbiddenError } from './forbidden.ts';
import './unselected-errors.ts';

/** Mutations whose refusals count as refused events. */
const EMIT_FIELDS = new Set(['emitEvent', 'emitEvents']);

/** What a request without a valid key is told, whichever field refused it. */
export function unauthenticatedError(): GraphQLError {
  return new GraphQLError('Send a valid key as "Authorization: Bearer <key>"', { extensions: { code: 'UNAUTHENTICATED' } });
}

/** The Pothos builder: plugins and scalars only; types live in one file per domain. */
export const builder = new SchemaBuilder<{
  Context: Context;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    SafeInt: { Input: number; Output: number };
  };
  AuthScopes: {
    /** The admin key: manages workspaces. */
    admin: boolean;
    /** A secret key: full access to its workspace. */
    secret: boolean;
    /** A secret or publishable key: may emit events. */
    emit: boolean;
    /** A portal session granted this capability (every session has VIEW). */
    portal: PortalCapability;
  };
  DefaultFieldNullability: false;
}>({
  // Listed before the errors plugin, unselectedErrors sees the typed errors it returns as data.
  plugins: [ScopeAuthPlugin, 'unselectedErrors', ErrorsPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    // Check a subscription's scopes once, when it starts, rather than on every event it yields.
    authorizeOnSubscribe: true,
    authScopes: (context) => ({
      admin: context.principal?.kind === 'ADMIN',
      secret: context.principal?.kind === 'SECRET',
      emit: context.principal?.kind === 'SECRET' || context.principal?.kind === 'PUBLISHABLE',
      portal: (capability) => context.principal?.portal?.capabilities.includes(capability) ?? false,
    }),
    unauthorizedError: (_parent, context, info, result) => {
      if (EMIT_FIELDS.has(info.fieldName)) {
        eventsRefused.inc({ reason: context.principal ? 'forbidden' : 'unauthenticated', workspace: context.principal?.workspaceId ? workspaceLabel(context.principal.workspaceId) : 'other' });
      }
      return context.principal ? forbiddenError(context.principal, info, result.failure) : unauthenticatedError();
    },
  },
  errors: {
    directResult: true,
    defaultUnionOptions: {
      name: ({ fieldName }) => `${fieldName.charAt(0).toUpperCase()}${fieldName.slice(1)}Result`,
    },
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
});

builder.addScalarType('DateTime', DateTimeResolver, { description: 'An ISO 8601 date and time, in UTC.' });
builder.addScalarType('JSON', JSONResolver, { description: 'Any JSON value.' });
builder.addScalarType('SafeInt', SafeIntResolver, { description: 'An integer up to 2^53 - 1.' });

builder.queryType({ description: 'Reads, scoped to the workspace of the key that asks.' });
builder.mutationType({ description: 'Changes; each takes one `input` and returns a payload or a typed error.' });
