import { Workspace } from './workspaces/workspace.entity.ts';
import { ApiKey } from './auth/api-key.entity.ts';
import { EventType } from './event-types/event-type.entity.ts';
import { Connection } from './connections/connection.entity.ts';
import { ConnectionSecret } from './connections/connection-secret.entity.ts';
import { ConnectionCredentials } from './connections/connection-credentials.entity.ts';
import { Rule } from './rules/rule.entity.ts';
import { Event } from './events/event.entity.ts';
import { Delivery } from './deliveries/delivery.entity.ts';
import { Attempt } from './deliveries/attempt.entity.ts';
import { PortalSession } from './portal/portal-session.entity.ts';
import { PortalSettings } from './portal/portal-settings.entity.ts';

/**
 * Every entity of the domains, for the ORM (and the migrations generated from them). The list
 * sits above the domains it names; `db/` takes it as a parameter rather than importing it.
 */
export const entities = [
  Workspace, ApiKey, EventType, Connection, ConnectionSecret, ConnectionCredentials, Rule, Event, Delivery, Attempt,
  PortalSession, PortalSettings,
];
