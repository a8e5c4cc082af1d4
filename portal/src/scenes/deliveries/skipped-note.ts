/** What a bulk replay left out (deliveries whose event's data was erased or expired), for its announcement. */
export function skippedNote(skipped: number): string {
  return skipped ? ` (${skipped} not replayed: their data was erased or has expired)` : '';
}
