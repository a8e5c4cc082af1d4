import { namedStatement, runNamed, type Db } from '../../../db/prepared-statement.ts';
import { availableTokens } from './token-bucket.ts';

/**
 * Puts back into a connection's bucket the tokens of calls a claim paid for and that made no
 * request (every delivery in them went back, its key in flight, or failed before sending): the
 * bucket paces requests to the vendor, and none was made. Never past the bucket's size.
 */
const RETURN_TOKENS = namedStatement<{ connectionId: string; calls: number }>('switchyard_return_tokens', `
  update connections set rate_tokens = least(greatest(rate_limit_per_second, 1), ${availableTokens('connections')} + :calls::int),
    rate_refilled_at = clock_timestamp()
  where id = :connectionId and rate_limit_per_second is not null`);

/** Gives `calls` calls' tokens back to the connection's rate limit, if it has one. */
export async function returnTokens(db: Db, connectionId: string, calls: number): Promise<void> {
  await runNamed(db, RETURN_TOKENS, { connectionId, calls });
}
