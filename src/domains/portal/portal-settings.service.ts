import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { parseInput } from '../validation.ts';
import { PortalSettings } from './portal-settings.entity.ts';

/** Most origins one workspace may allow to frame its portal. */
export const MAX_ALLOWED_ORIGINS = 20;

/** A workspace's portal settings as the portal and its frame policy read them. */
export interface PortalLook {
  allowedOrigins: string[];
  displayName: string | null;
  brandColor: string | null;
  logoUrl: string | null;
}

const DEFAULTS: PortalLook = { allowedOrigins: [], displayName: null, brandColor: null, logoUrl: null };

/**
 * `scheme://host[:port]`, nothing more, as CSP's `frame-ancestors` matches it; the host may
 * start with `*.` for every subdomain. The value is written back as the browser would send it
 * (lowercase, default port dropped), so a setting compares equal to the `Origin` it allows.
 */
const origin = z.string().transform((raw, context) => {
  const wildcard = raw.match(/^(https?:\/\/)\*\.(.+)$/i);
  const candidate = wildcard ? `${wildcard[1]}wildcard.${wildcard[2]}` : raw;
  const problem = 'must be an origin such as "https://app.example.com" or "https://*.example.com": scheme, host and port only';
  if (!URL.canParse(candidate)) {
    context.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  const url = new URL(candidate);
  const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password && !candidate.endsWith('/');
  if (!/^https?:$/.test(url.protocol) || !bare) {
    context.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  return wildcard ? url.origin.replace('://wildcard.', '://*.') : url.origin;
});

const updateInput = z.object({
  allowedOrigins: z
    .array(origin)
    .max(MAX_ALLOWED_ORIGINS, `must list at most ${MAX_ALLOWED_ORIGINS} origins`)
    .transform((origins) => [...new Set(origins)])
    .nullish(),
  displayName: z.string().trim().min(1, 'must not be empty; null removes it').max(100, 'must be at most 100 characters').nullish(),
  brandColor: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'must be a hex colour such as "#4f46e5"')
    .transform((colour) => colour.toLowerCase())
    .nullish(),
  logoUrl: z
    .string()
    .max(2048, 'must be at most 2048 characters')
    .refine((url) => URL.canParse(url) && new URL(url).protocol === 'https:', 'must be an absolute https URL (the portal would not load an http image)')
    .nullish(),
});

/** The workspace's portal settings, or the defaults where it has none. */
export async function getPortalSettings(em: EntityManager, workspaceId: string): Promise<PortalLook> {
  const settings = await em.findOne(PortalSettings, { workspace: workspaceId });
  return settings ? look(settings) : { ...DEFAULTS };
}

/**
 * Changes the fields given: left out stays, null clears (no origins: the portal may be framed
 * only by its own origin).
 */
export async function updatePortalSettings(em: EntityManager, workspaceId: string, input: unknown): Promise<PortalLook> {
  const data = parseInput(updateInput, input);
  let settings = await em.findOne(PortalSettings, { workspace: workspaceId });
  settings ??= em.create(PortalSettings, { workspace: workspaceId, ...DEFAULTS });
  if (data.allowedOrigins !== undefined) settings.allowedOrigins = data.allowedOrigins ?? [];
  if (data.displayName !== undefined) settings.displayName = data.displayName;
  if (data.brandColor !== undefined) settings.brandColor = data.brandColor;
  if (data.logoUrl !== undefined) settings.logoUrl = data.logoUrl;
  await em.flush();
  return look(settings);
}

function look(settings: PortalSettings): PortalLook {
  return {
    allowedOrigins: [...settings.allowedOrigins],
    displayName: settings.displayName ?? null,
    brandColor: settings.brandColor ?? null,
    logoUrl: settings.logoUrl ?? null,
  };
}

/** The `frame-ancestors` sources for these settings: the allowed origins, or `'self'` when none. */
export function frameAncestors(settings: Pick<PortalLook, 'allowedOrigins'>): string {
  return settings.allowedOrigins.length ? settings.allowedOrigins.join(' ') : "'self'";
}
