import type { ApiKeyKind } from './api-key.entity.ts';

/** Who is calling: the key they presented, resolved. */
export interface Principal {
  keyId: string;
  kind: ApiKeyKind;
  /** The key's workspace; null for the admin key. */
  workspaceId: string | null;
  /** The workspace's routing version as this request began (see routing-cache.ts); 0 for admin. */
  routingVersion: number;
}
