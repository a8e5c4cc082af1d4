import { builder } from './builder.ts';
import { expectedErrors } from './errors.ts';
import { encodeId } from '../domains/public-ids.ts';
import { paginate } from './pagination.ts';
import { workspaceOf } from './scope.ts';
import { Workspace } from '../domains/workspaces/workspace.entity.ts';
import { createWorkspace, getWorkspace, type CreatedWorkspace } from '../domains/workspaces/workspace.service.ts';

export const WorkspaceRef = builder.objectRef<Workspace>('Workspace').implement({
  description: 'One tenant environment, such as "acme / production". Everything else belongs to one.',
  fields: (t) => ({
    id: t.id({ resolve: (workspace) => encodeId('Workspace', workspace.id) }),
    name: t.exposeString('name', { description: 'Display name, e.g. the customer "acme".' }),
    environment: t.exposeString('environment', { description: 'Environment, e.g. "production" or "staging".' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  workspace: t.field({
    type: WorkspaceRef,
    description: 'The workspace of the key (or portal session) that asks.',
    authScopes: { emit: true, portal: 'VIEW' },
    resolve: (_root, _args, context) => getWorkspace(context.em, workspaceOf(context)),
  }),
  workspaces: t.connection({
    type: WorkspaceRef,
    description: 'Every workspace, newest first (admin key).',
    authScopes: { admin: true },
    resolve: (_root, args, context) =>
      paginate(args, ({ id, order, limit }) =>
        context.em.find(Workspace, id ? { id } : {}, { orderBy: { id: order }, limit }),
      ),
  }),
}));

const CreateWorkspaceInput = builder.inputType('CreateWorkspaceInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Display name, 1 to 100 characters.' }),
    environment: t.string({
      description: 'Lowercase letters, digits and dashes. (Default: "production")',
    }),
  }),
});

const CreateWorkspacePayload = builder.objectRef<CreatedWorkspace>('CreateWorkspacePayload').implement({
  description: 'The new workspace and its first keys. The keys are shown this once.',
  fields: (t) => ({
    workspace: t.field({ type: WorkspaceRef, resolve: (payload) => payload.workspace }),
    secretKey: t.exposeString('secretKey', { description: 'Full access to the workspace (`sy_sk_...`); keep it on servers.' }),
    publishableKey: t.exposeString('publishableKey', { description: 'May only emit events (`sy_pk_...`).' }),
  }),
});

builder.mutationFields((t) => ({
  createWorkspace: t.field({
    type: CreateWorkspacePayload,
    description: 'Creates a workspace with a secret and a publishable key (admin key).',
    authScopes: { admin: true },
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: CreateWorkspaceInput, required: true }) },
    resolve: (_root, { input }, context) => createWorkspace(context.em, input),
  }),
}));
