import { builder } from './builder.ts';
import './errors.ts';
import './workspaces.ts';
import './workspace-settings.ts';
import './api-keys.ts';
import './event-types.ts';
import './connections.ts';
import './destination-settings.ts';
import './connection-mutations.ts';
import './rules.ts';
import './rule-trials.ts';
import './events.ts';
import './deliveries.ts';
import './test-events.ts';
import './subscriptions.ts';
import './portal.ts';
import './erasure.ts';
import './oauth.ts';

/** The whole schema; each domain's file registers its types and fields on import. */
export const schema = builder.toSchema({ sortSchema: true });
