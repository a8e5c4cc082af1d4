import type { Config } from '../../config.ts';
import type { ConnectionKind } from '../connections/connection.entity.ts';
import type { EventRecord } from '../events/event-record.ts';
import { storedExpression } from '../expressions/expression.ts';
import { evaluateTransform, expressionInput } from '../expressions/rule-expressions.ts';
import { encodeId } from '../public-ids.ts';
import type { ActionEvent, ActionTarget, AttemptReport } from './destination-kind.ts';
import { destinationKind, type AnyDestinationKind } from './destination-kinds.ts';
import { vendorClient, type VendorClient } from './http/vendor-client.ts';
import { MappingError } from './mapping.ts';
import { vendorUrls } from './vendor-urls.ts';
import type { AccessTokens } from '../oauth/access-tokens.ts';

/** What the engine hands over for one delivery's action: the connection as claimed, the event, the rule. */
export interface ActionPlan {
  /** The delivery's storage id. */
  deliveryId: string;
  kind: ConnectionKind;
  /** The connection's visible settings and its credentials, as stored. */
  config: unknown;
  credentials: unknown;
  signingSecrets: readonly string[];
  timeoutSeconds: number;
  event: EventRecord;
  /** The rule's transform, as stored; null for the kind's default mapping. */
  transform: string | null;
  /** The connection's OAuth access tokens, for a kind with `oauth`. */
  tokens?: AccessTokens;
}

/** An action input ready to send, with what its kind sends it with. */
export interface ReadyAction {
  kind: AnyDestinationKind;
  input: unknown;
  target: ActionTarget<unknown, unknown>;
  /** Its kind's batch key (an email, say): two actions of one key are never in calls in flight at once. Null for a kind without batches. */
  key: string | null;
}

/** An action input ready to send, or the report of why it cannot be made. */
export type PreparedAction = ReadyAction | { report: AttemptReport };

const clients = new WeakMap<Config, VendorClient>();
/** The vendor client of a configuration, one per configuration, so every caller shares its pools. */
export function clientFor(config: Config): VendorClient {
  let client = clients.get(config);
  if (!client) clients.set(config, (client = vendorClient({ maxResponseBytes: config.maxResponseBytes, allowPrivateTargets: config.allowPrivateTargets })));
  return client;
}

/** The report of an action refused before anything was sent: it is dead at once, as it could not change. */
function refused(startedAt: Date, errorClass: 'EXPRESSION' | 'MAPPING', error: string): AttemptReport {
  return { verdict: { kind: 'rejected' }, method: '-', url: '-', startedAt, durationMs: Date.now() - startedAt.getTime(), errorClass, error };
}

async function prepare(config: Config, kind: AnyDestinationKind, plan: ActionPlan): Promise<PreparedAction> {
  const startedAt = new Date();
  const event: ActionEvent = { ...plan.event, publicId: encodeId('Event', plan.event.id) };
  let transformed: { value: unknown; json: string } | null = null;
  if (plan.transform) {
    try {
      const json = await evaluateTransform(storedExpression(plan.transform), expressionInput(plan.event), {
        timeoutMs: config.expressionTimeoutMs,
        maxBytes: config.maxTransformBytes,
      });
      transformed = { value: JSON.parse(json) as unknown, json };
    } catch (error) {
      return { report: refused(startedAt, 'EXPRESSION', (error as Error).message) };
    }
  }
  try {
    const input = kind.actionInput(event, transformed, plan.config);
    const target: ActionTarget<unknown, unknown> = {
      config: plan.config,
      // An OAuth connection may have no credentials row at all: none of its own, not a crash.
      credentials: plan.credentials ?? {},
      deliveryId: encodeId('Delivery', plan.deliveryId),
      signingSecrets: plan.signingSecrets,
      timeoutMs: plan.timeoutSeconds * 1000,
      http: clientFor(config),
      vendors: vendorUrls(config),
      ...(plan.tokens && { tokens: plan.tokens }),
    };
    return { kind, input, target, key: kind.batch ? kind.batch.key(input) : null };
  } catch (error) {
    if (error instanceof MappingError) return { report: refused(startedAt, 'MAPPING', error.message) };
    throw error;
  }
}

function kindOf(plan: ActionPlan): AnyDestinationKind {
  const kind = destinationKind(plan.kind);
  // Connections are created only of kinds that can be delivered to, so this is a programming error.
  if (!kind) throw new Error(`no destination kind ${plan.kind}`);
  return kind;
}

/**
 * One delivery's action: the rule's transform (or the kind's default mapping) makes the action
 * input, the kind performs it, and its report says what the vendor answered and what that means.
 * A transform that fails (EXPRESSION) or a result that does not fit the kind (MAPPING) is
 * reported as rejected without a request. Never throws for the vendor's failures.
 */
export async function performAction(config: Config, plan: ActionPlan): Promise<AttemptReport> {
  const kind = kindOf(plan);
  const prepared = await prepare(config, kind, plan);
  return 'report' in prepared ? prepared.report : kind.perform(prepared.input, prepared.target);
}

/**
 * Transforms evaluated at once for one claim: a claim of a batching kind takes hundreds of
 * deliveries, and their transforms all at once would queue ahead of every other pump's in the
 * expression pool.
 */
const PREPARED_AT_ONCE = 10;

/**
 * The action inputs of deliveries claimed together (one connection's), `PREPARED_AT_ONCE` at a
 * time, in order: each ready to send, or reported as refused (EXPRESSION, MAPPING) without a request.
 */
export async function prepareActions(config: Config, plans: readonly ActionPlan[]): Promise<PreparedAction[]> {
  const prepared = new Array<PreparedAction>(plans.length);
  let next = 0;
  const lane = async () => {
    while (next < plans.length) {
      const index = next++;
      prepared[index] = await prepare(config, kindOf(plans[index]!), plans[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PREPARED_AT_ONCE, plans.length) }, lane));
  return prepared;
}

/**
 * One vendor call for `actions` (one connection's, at most its kind's `maxItems`, no key twice):
 * a lone action is performed as any single one, several go as the kind's batch, each with its own
 * report. `unbatched` marks an action the vendor would not take in a batch: it is to go on its own.
 */
export async function performCall(actions: readonly ReadyAction[]): Promise<(AttemptReport | 'unbatched')[]> {
  const [first] = actions;
  if (!first) return [];
  if (actions.length === 1) return [await first.kind.perform(first.input, first.target)];
  return first.kind.batch!.perform(actions.map((action) => action.input), first.target, actions.map((action) => action.target.deliveryId));
}

/**
 * Deliveries one call of a connection of `kind` with `config` takes: its kind's batch `maxItems`,
 * or 1 for a kind without batches or settings that send none.
 */
export function itemsPerCall(kind: ConnectionKind, config: unknown): number {
  const batch = destinationKind(kind)?.batch;
  return batch && (batch.appliesTo?.(config) ?? true) ? batch.maxItems : 1;
}

/** Whether what one call of `kind` takes depends on a connection's settings, which can change, and not on its kind alone. */
export function callSizeFollowsSettings(kind: ConnectionKind): boolean {
  return destinationKind(kind)?.batch?.appliesTo !== undefined;
}
