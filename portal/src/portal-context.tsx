import { createContext, useContext } from 'react';
import type { Api } from './api/client.ts';
import type { PortalCapability, PortalHomeQuery } from './api/generated.ts';

/** What every screen knows: the API client, the session and the workspace's look. */
export interface Portal {
  api: Api;
  session: PortalHomeQuery['portalSession'];
  workspace: PortalHomeQuery['workspace'];
  /** Whether the session was granted `capability`; controls it does not grant are not shown. */
  can(capability: PortalCapability): boolean;
  /** Says `message` in the page's status region (for everyone, screen readers included). */
  announce(message: string): void;
}

export const PortalContext = createContext<Portal | null>(null);

export function usePortal(): Portal {
  const portal = useContext(PortalContext);
  if (!portal) throw new Error('usePortal outside the portal');
  return portal;
}
