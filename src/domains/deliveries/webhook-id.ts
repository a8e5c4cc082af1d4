/**
 * The `webhook-id` of a delivery: its public id (`msg_` + the UUID's hex), the same on every
 * attempt and replay so receivers can deduplicate.
 */
export function webhookIdFor(deliveryId: string): string {
  return `msg_${deliveryId.replaceAll('-', '')}`;
}
