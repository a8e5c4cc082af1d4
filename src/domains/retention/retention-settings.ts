import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import type { Workspace } from '../workspaces/workspace.entity.ts';

/** Payloads and response bodies are kept this many days unless a workspace says otherwise. */
export const DEFAULT_PAYLOAD_RETENTION_DAYS = 30;
/** Event, delivery and attempt records are kept this many days unless a workspace says otherwise. */
export const DEFAULT_DELIVERY_RETENTION_DAYS = 90;
/** The longest either age may be: ten years. */
export const MAX_RETENTION_DAYS = 3650;

const days = z
  .number()
  .int({ message: 'must be a whole number of days' })
  .min(1, { message: `must be from 1 to ${MAX_RETENTION_DAYS} days` })
  .max(MAX_RETENTION_DAYS, { message: `must be from 1 to ${MAX_RETENTION_DAYS} days` })
  .nullish();

/** The retention fields of a workspace settings input; left out, unchanged. */
export const retentionSettingsInput = {
  payloadRetentionDays: days,
  deliveryRetentionDays: days,
};

/**
 * Applies the retention settings given to `workspace`. Payloads cannot outlive their records:
 * a payload age beyond the record age is refused, naming the field.
 */
export function applyRetentionSettings(
  workspace: Workspace,
  input: { payloadRetentionDays?: number | null; deliveryRetentionDays?: number | null },
): void {
  const payloadDays = input.payloadRetentionDays ?? workspace.payloadRetentionDays;
  const deliveryDays = input.deliveryRetentionDays ?? workspace.deliveryRetentionDays;
  if (payloadDays > deliveryDays) {
    const field = input.payloadRetentionDays != null ? 'payloadRetentionDays' : 'deliveryRetentionDays';
    throw ValidationError.field(['input', field], `payloads cannot be kept longer than their records: ${payloadDays} days of payloads, ${deliveryDays} days of records`);
  }
  workspace.payloadRetentionDays = payloadDays;
  workspace.deliveryRetentionDays = deliveryDays;
}
