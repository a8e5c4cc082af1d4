import { Workspace } from '../domains/workspaces/workspace.entity.ts';
import { ApiKey } from '../domains/auth/api-key.entity.ts';
import { EventType } from '../domains/event-types/event-type.entity.ts';
import { Connection } from '../domains/connections/connection.entity.ts';
import { ConnectionSecret } from '../domains/connections/connection-secret.entity.ts';
import { Rule } from '../domains/rules/rule.entity.ts';
import { Event } from '../domains/events/event.entity.ts';
import { Delivery } from '../domains/deliveries/delivery.entity.ts';
import { Attempt } from '../domains/deliveries/attempt.entity.ts';
import { PortalSession } from '../domains/portal/portal-session.entity.ts';
import { PortalSettings } from '../domains/portal/portal-settings.entity.ts';

/** Every entity the ORM knows; migrations are generated from this list. */
export const entities = [
  Workspace, ApiKey, EventType, Connection, ConnectionSecret, Rule, Event, Delivery, Attempt, PortalSession, PortalSettings,
];
