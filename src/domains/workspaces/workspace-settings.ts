import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { EventType } from '../event-types/event-type.entity.ts';
import { ValidationError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { applyRetentionSettings, retentionSettingsInput } from '../retention/retention-settings.ts';
import { getWorkspace } from './workspace.service.ts';
import type { Workspace } from './workspace.entity.ts';

/** Each setting a workspace's own key may change; left out, unchanged. */
const settingsInput = z.object({
  strictEventTypes: z.boolean().nullish(),
  ...retentionSettingsInput,
});

/** Changes the settings present in `input` and returns the workspace. */
export async function updateWorkspaceSettings(em: EntityManager, workspaceId: string, input: unknown): Promise<Workspace> {
  const data = parseInput(settingsInput, input);
  const workspace = await getWorkspace(em, workspaceId);
  if (data.strictEventTypes != null) {
    if (data.strictEventTypes && !(await em.count(EventType, { workspace: workspaceId }))) {
      throw ValidationError.field(
        ['input', 'strictEventTypes'],
        'the event type catalog is empty, so every emit would be refused: declare event types with upsertEventType first',
      );
    }
    workspace.strictEventTypes = data.strictEventTypes;
  }
  applyRetentionSettings(workspace, data);
  await em.flush();
  return workspace;
}
