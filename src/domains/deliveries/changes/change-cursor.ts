import { ValidationError } from '../../errors.ts';

/**
 * A place in a workspace's delivery change log: the writing transaction's id, then the row's
 * position. Changes are read in this order, and only once every transaction before them has
 * ended (see the migration that made `delivery_changes`), so "after this cursor" never skips a
 * change that commits later. Clients see it as an opaque string.
 */
export interface ChangeCursor {
  /** A Postgres xid8, as decimal text: it can pass 2^53. */
  txid: string;
  /** As decimal text, for the same reason. */
  position: string;
}

const FORMAT = /^(\d{1,20}):(\d{1,19})$/;
/** The largest xid8 and the largest bigint: beyond them Postgres would refuse the cursor. */
const MAX_TXID = 2n ** 64n - 1n;
const MAX_POSITION = 2n ** 63n - 1n;

export function formatCursor(cursor: ChangeCursor): string {
  return `${cursor.txid}:${cursor.position}`;
}

/** Reads a cursor a stream handed out; anything else is a ValidationError on `path`. */
export function parseCursor(text: string, path: string[]): ChangeCursor {
  const match = FORMAT.exec(text);
  if (!match || BigInt(match[1]!) > MAX_TXID || BigInt(match[2]!) > MAX_POSITION) {
    throw ValidationError.field(path, 'is not a cursor from a delivery stream (pass the `cursor` of an item it sent)');
  }
  return { txid: BigInt(match[1]!).toString(), position: BigInt(match[2]!).toString() };
}

/** Orders cursors as the log does: by transaction, then by position. */
export function compareCursors(a: ChangeCursor, b: ChangeCursor): number {
  return compareDecimal(a.txid, b.txid) || compareDecimal(a.position, b.position);
}

function compareDecimal(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
