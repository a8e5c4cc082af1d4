import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261123000212_initial } from './Migration20261123000212_initial.ts';
import { Migration20261123002000_delivery_engine } from './Migration20261123002000_delivery_engine.ts';
import { Migration20261123040000_routing_version } from './Migration20261123040000_routing_version.ts';
import { Migration20261201000000_connection_pumps } from './Migration20261201000000_connection_pumps.ts';
import { Migration20261202000000_test_sends } from './Migration20261202000000_test_sends.ts';
import { Migration20261202010000_worker_heartbeats } from './Migration20261202010000_worker_heartbeats.ts';
import { Migration20261202010100_delivery_leases } from './Migration20261202010100_delivery_leases.ts';
import { Migration20261210000000_portal } from './Migration20261210000000_portal.ts';
import { Migration20261215000000_destination_error_classes } from './Migration20261215000000_destination_error_classes.ts';
import { Migration20261216000000_secrets_at_rest } from './Migration20261216000000_secrets_at_rest.ts';
import { Migration20261216010000_tenant_references } from './Migration20261216010000_tenant_references.ts';
import { Migration20261220000000_retention } from './Migration20261220000000_retention.ts';
import { Migration20261221000000_routing_and_keys } from './Migration20261221000000_routing_and_keys.ts';
import { Migration20261221010000_delivery_listeners } from './Migration20261221010000_delivery_listeners.ts';
import { Migration20261222000000_strict_event_types } from './Migration20261222000000_strict_event_types.ts';
import { Migration20261222010000_delivery_changes } from './Migration20261222010000_delivery_changes.ts';
import { Migration20261223000000_connection_credentials } from './Migration20261223000000_connection_credentials.ts';
import { Migration20261223000100_attempt_requests } from './Migration20261223000100_attempt_requests.ts';
import { Migration20261224000000_oauth } from './Migration20261224000000_oauth.ts';
import { Migration20261228000000_payload_removal } from './Migration20261228000000_payload_removal.ts';
import { Migration20261228010000_retention_indexes } from './Migration20261228010000_retention_indexes.ts';

/** Every migration, oldest first; listed here so `src/` and `dist/` run the same set. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261123000212_initial', class: Migration20261123000212_initial },
  { name: 'Migration20261123002000_delivery_engine', class: Migration20261123002000_delivery_engine },
  { name: 'Migration20261123040000_routing_version', class: Migration20261123040000_routing_version },
  { name: 'Migration20261201000000_connection_pumps', class: Migration20261201000000_connection_pumps },
  { name: 'Migration20261202000000_test_sends', class: Migration20261202000000_test_sends },
  { name: 'Migration20261202010000_worker_heartbeats', class: Migration20261202010000_worker_heartbeats },
  { name: 'Migration20261202010100_delivery_leases', class: Migration20261202010100_delivery_leases },
  { name: 'Migration20261210000000_portal', class: Migration20261210000000_portal },
  { name: 'Migration20261215000000_destination_error_classes', class: Migration20261215000000_destination_error_classes },
  { name: 'Migration20261216000000_secrets_at_rest', class: Migration20261216000000_secrets_at_rest },
  { name: 'Migration20261216010000_tenant_references', class: Migration20261216010000_tenant_references },
  { name: 'Migration20261220000000_retention', class: Migration20261220000000_retention },
  { name: 'Migration20261221000000_routing_and_keys', class: Migration20261221000000_routing_and_keys },
  { name: 'Migration20261221010000_delivery_listeners', class: Migration20261221010000_delivery_listeners },
  { name: 'Migration20261222000000_strict_event_types', class: Migration20261222000000_strict_event_types },
  { name: 'Migration20261222010000_delivery_changes', class: Migration20261222010000_delivery_changes },
  { name: 'Migration20261223000000_connection_credentials', class: Migration20261223000000_connection_credentials },
  { name: 'Migration20261223000100_attempt_requests', class: Migration20261223000100_attempt_requests },
  { name: 'Migration20261224000000_oauth', class: Migration20261224000000_oauth },
  { name: 'Migration20261228000000_payload_removal', class: Migration20261228000000_payload_removal },
  { name: 'Migration20261228010000_retention_indexes', class: Migration20261228010000_retention_indexes },
];
