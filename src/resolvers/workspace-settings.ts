import { builder } from './builder.ts';
import { expectedErrors } from './errors.ts';
import { workspaceOf } from './scope.ts';
import { WorkspaceRef } from './workspaces.ts';
import type { Workspace } from '../domains/workspaces/workspace.entity.ts';
import { updateWorkspaceSettings } from '../domains/workspaces/workspace-settings.ts';

// One type for every setting a workspace's own secret key may change: add fields here.
const WorkspaceSettingsRef = builder.objectRef<Workspace>('WorkspaceSettings').implement({
  description: 'How the workspace behaves; change it with updateWorkspaceSettings.',
  fields: (t) => ({
    strictEventTypes: t.exposeBoolean('strictEventTypes', {
      description: 'Emits of event types not in the catalog are refused (ValidationError on `type`), not accepted with `unknownType: true`.',
    }),
  }),
});

builder.objectFields(WorkspaceRef, (t) => ({
  settings: t.field({
    type: WorkspaceSettingsRef,
    description: 'The workspace\'s settings (secret key).',
    authScopes: { secret: true },
    resolve: (workspace) => workspace,
  }),
}));

const UpdateWorkspaceSettingsInput = builder.inputType('UpdateWorkspaceSettingsInput', {
  description: 'Settings left out stay as they are.',
  fields: (t) => ({
    strictEventTypes: t.boolean({
      description: 'Refuse emits of event types not in the catalog. Needs a catalog with at least one type. (Default: false)',
    }),
  }),
});

const UpdateWorkspaceSettingsPayload = builder.objectRef<{ workspace: Workspace }>('UpdateWorkspaceSettingsPayload').implement({
  fields: (t) => ({
    workspace: t.field({ type: WorkspaceRef, description: 'The workspace with its settings as they are now.', resolve: (payload) => payload.workspace }),
  }),
});

builder.mutationFields((t) => ({
  updateWorkspaceSettings: t.field({
    type: UpdateWorkspaceSettingsPayload,
    description: "Changes the settings given of the key's workspace; the next emit follows them. (Secret key.)",
    authScopes: { secret: true },
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: UpdateWorkspaceSettingsInput, required: true }) },
    resolve: async (_root, { input }, context) => ({
      workspace: await updateWorkspaceSettings(context.em, workspaceOf(context), input),
    }),
  }),
}));
