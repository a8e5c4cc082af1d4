/**
 * What a portal session may do beyond reading. `VIEW` is always granted; the others unlock one
 * group of mutations each, and the API checks them whatever the page shows.
 */
export const PORTAL_CAPABILITIES = ['VIEW', 'MANAGE_ENDPOINTS', 'VIEW_SECRETS', 'MANAGE_SECRETS', 'REPLAY', 'SEND_TEST'] as const;
export type PortalCapability = (typeof PORTAL_CAPABILITIES)[number];

/** `capabilities` as stored: deduplicated, in the canonical order, with `VIEW` always in. */
export function normaliseCapabilities(capabilities: readonly PortalCapability[] | null | undefined): PortalCapability[] {
  const asked = new Set<PortalCapability>(capabilities ?? PORTAL_CAPABILITIES);
  asked.add('VIEW');
  return PORTAL_CAPABILITIES.filter((capability) => asked.has(capability));
}
