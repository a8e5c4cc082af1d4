/** Name of the Postgres sequence that numbers a workspace's events. */
export function eventSequenceName(workspaceId: string): string {
  return `event_sequence_${workspaceId.replaceAll('-', '')}`;
}
