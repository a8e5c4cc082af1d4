import type { Principal } from '../domains/auth/principal.ts';
import { revokes, type Revocation } from '../domains/auth/revocations.ts';

/**
 * The long-lived things this process holds open for a principal (graphql-ws sockets, SSE and
 * multipart responses), so that a revocation ends them at once instead of letting them stream on
 * with a key that no longer works.
 */
export interface OpenStreams {
  /** Registers one open stream and how to end it; returns the function that forgets it. */
  add(principal: Principal, end: () => void): () => void;
  /** Ends every stream `revocation` applies to; returns how many. */
  revoke(revocation: Revocation): number;
}

export function openStreams(): OpenStreams {
  const streams = new Map<() => void, Principal>();
  return {
    add(principal, end) {
      streams.set(end, principal);
      return () => streams.delete(end);
    },
    revoke(revocation) {
      let ended = 0;
      for (const [end, principal] of streams) {
        if (!revokes(revocation, principal)) continue;
        streams.delete(end);
        end();
        ended++;
      }
      return ended;
    },
  };
}
