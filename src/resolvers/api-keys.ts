import { builder } from './builder.ts';
import { expectedErrors } from './errors.ts';
import { decodeId, encodeId } from '../domains/public-ids.ts';
import { paginate } from './pagination.ts';
import { workspaceOf } from './scope.ts';
import { ApiKey } from '../domains/auth/api-key.entity.ts';
import { createApiKey, revokeApiKey } from '../domains/auth/api-key.service.ts';

const ApiKeyKindRef = builder.enumType('ApiKeyKind', {
  description: 'What a workspace key may do.',
  values: {
    SECRET: { description: 'Everything in its workspace; for servers only.' },
    PUBLISHABLE: { description: 'Emit events only; safe to ship in less trusted places.' },
  } as const,
});

export const ApiKeyRef = builder.objectRef<ApiKey>('ApiKey').implement({
  description: 'A workspace key. Only a hash is stored; `prefix` is the readable start of it.',
  fields: (t) => ({
    id: t.id({ resolve: (key) => encodeId('ApiKey', key.id) }),
    name: t.exposeString('name'),
    kind: t.field({ type: ApiKeyKindRef, resolve: (key) => (key.kind === 'PUBLISHABLE' ? 'PUBLISHABLE' : 'SECRET') }),
    prefix: t.exposeString('prefix', { description: 'The first characters of the key, e.g. "sy_sk_3fQx".' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.queryFields((t) => ({
  apiKeys: t.connection({
    type: ApiKeyRef,
    description: "The workspace's keys, newest first.",
    authScopes: { secret: true },
    resolve: (_root, args, context) =>
      paginate(args, ({ id, order, limit }) =>
        context.em.find(ApiKey, { workspace: workspaceOf(context), ...(id ? { id } : {}) }, { orderBy: { id: order }, limit }),
      ),
  }),
}));

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'What the key is for, 1 to 100 characters.' }),
    kind: t.field({ type: ApiKeyKindRef, required: true }),
  }),
});

const CreateApiKeyPayload = builder
  .objectRef<{ apiKey: ApiKey; key: string }>('CreateApiKeyPayload')
  .implement({
    fields: (t) => ({
      apiKey: t.field({ type: ApiKeyRef, resolve: (payload) => payload.apiKey }),
      key: t.exposeString('key', { description: 'The key itself, shown this once.' }),
    }),
  });

const RevokeApiKeyInput = builder.inputType('RevokeApiKeyInput', {
  fields: (t) => ({ id: t.id({ required: true, description: 'The key to revoke.' }) }),
});

const RevokeApiKeyPayload = builder.objectRef<{ apiKey: ApiKey }>('RevokeApiKeyPayload').implement({
  fields: (t) => ({ apiKey: t.field({ type: ApiKeyRef, resolve: (payload) => payload.apiKey }) }),
});

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreateApiKeyPayload,
    description: 'Creates a workspace key; its plaintext is returned this once.',
    authScopes: { secret: true },
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const { apiKey, plaintext } = await createApiKey(context.em, { workspaceId: workspaceOf(context), ...input });
      return { apiKey, key: plaintext };
    },
  }),
  revokeApiKey: t.field({
    type: RevokeApiKeyPayload,
    description: 'Revokes a key at once; requests with it are refused from then on.',
    authScopes: { secret: true },
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: RevokeApiKeyInput, required: true }) },
    resolve: async (_root, { input }, context) => ({
      apiKey: await revokeApiKey(context.em, workspaceOf(context), decodeId('ApiKey', String(input.id))),
    }),
  }),
}));
