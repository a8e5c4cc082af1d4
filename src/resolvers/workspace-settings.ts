import { builder } from './builder.ts';
import { expectedErrors } from './errors.ts';
import { workspaceOf } from './scope.ts';
import { WorkspaceRef } from './workspaces.ts';
import type { Workspace } from '../domains/workspaces/workspace.entity.ts';
import { updateWorkspaceSettings } from '../domains/workspaces/workspace-settings.ts';
import {
  DEFAULT_DELIVERY_RETENTION_DAYS,
  DEFAULT_PAYLOAD_RETENTION_DAYS,
  MAX_RETENTION_DAYS,
} from '../domains/retention/retention-settings.ts';

// One type for every setting a workspace's own secret key may change: add fields here.
const WorkspaceSettingsRef = builder.objectRef<Workspace>('WorkspaceSettings').implement({
  description: 'How the workspace behaves; change it with updateWorkspaceSettings.',
  fields: (t) => ({
    strictEventTypes: t.exposeBoolean('strictEventTypes', {
      description: 'Emits of event types not in the catalog are refused (ValidationError on `type`), not accepted with `unknownType: true`.',
    }),
    payloadRetentionDays: t.exposeInt('payloadRetentionDays', {
      description: 'Days event payloads and the response bodies of attempts are kept; then retention removes them (the records stay).',
    }),
    deliveryRetentionDays: t.exposeInt('deliveryRetentionDays', {
      description: 'Days event, delivery and attempt records are kept; then retention deletes them.',
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
    payloadRetentionDays: t.int({
      description:
        `Days payloads and attempts' response bodies are kept, 1 to ${MAX_RETENTION_DAYS}; at most deliveryRetentionDays. ` +
        `An unfinished delivery's event keeps its payload until it finishes. (Default: ${DEFAULT_PAYLOAD_RETENTION_DAYS})`,
    }),
    deliveryRetentionDays: t.int({
      description:
        `Days event, delivery and attempt records are kept, 1 to ${MAX_RETENTION_DAYS}; at least payloadRetentionDays. ` +
        `(Default: ${DEFAULT_DELIVERY_RETENTION_DAYS})`,
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
