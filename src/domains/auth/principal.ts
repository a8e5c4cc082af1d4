import type { ApiKeyKind } from './api-key.entity.ts';
import type { PortalCapability } from '../portal/capabilities.ts';

/** ADMIN, SECRET and PUBLISHABLE are API keys; PORTAL is a portal session's token. */
export type PrincipalKind = ApiKeyKind | 'PORTAL';

/** Who is calling: the key or portal session they presented, resolved. */
export interface Principal {
  /** The API key's id, or the portal session's. */
  keyId: string;
  kind: PrincipalKind;
  /** The key's workspace; null for the admin key. */
  workspaceId: string | null;
  /** The workspace's routing version as this request began (see `routingSnapshot` in domains/events/routing-snapshot.ts); 0 for admin. */
  routingVersion: number;
  /** Set exactly when `kind` is PORTAL. */
  portal?: PortalGrant;
}

/** What a portal session may do, and until when. */
export interface PortalGrant {
  capabilities: readonly PortalCapability[];
  expiresAt: Date;
}
