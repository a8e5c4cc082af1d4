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

/** An action input ready to send, or the report of why it cannot be made. */
type Prepared = { input: unknown; target: ActionTarget<unknown, unknown> } | { report: AttemptReport };

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

async function prepare(config: Config, kind: AnyDestinationKind, plan: ActionPlan): Promise<Prepared> {
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
      credentials: plan.credentials,
      deliveryId: encodeId('Delivery', plan.deliveryId),
      signingSecrets: plan.signingSecrets,
      timeoutMs: plan.timeoutSeconds * 1000,
      http: clientFor(config),
      vendors: vendorUrls(config),
      ...(plan.tokens && { tokens: plan.tokens }),
    };
    return { input, target };
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

/** Whether `plans` (one connection's) can go as one batch call of their kind. */
export function batches(plans: readonly ActionPlan[]): boolean {
  return plans.length > 1 && kindOf(plans[0]!).batch !== undefined;
}

/**
 * Several deliveries of one connection in as few vendor calls as its kind's batch allows (at most
 * `maxItems` a call, two inputs with the same key never in one), each with its own report.
 * `unbatched` marks a delivery the vendor would not take in a batch: it is to be performed on its own.
 */
export async function performBatch(config: Config, plans: readonly ActionPlan[]): Promise<(AttemptReport | 'unbatched')[]> {
  const kind = kindOf(plans[0]!);
  const batch = kind.batch!;
  const prepared = await Promise.all(plans.map((plan) => prepare(config, kind, plan)));
  const outcomes = new Array<AttemptReport | 'unbatched'>(plans.length);
  let pending: number[] = [];
  prepared.forEach((entry, index) => ('report' in entry ? (outcomes[index] = entry.report) : pending.push(index)));
  while (pending.length > 0) {
    const keys = new Set<string>();
    const call: number[] = [];
    const later: number[] = [];
    for (const index of pending) {
      const key = batch.key((prepared[index] as { input: unknown }).input);
      if (call.length < batch.maxItems && !keys.has(key)) {
        keys.add(key);
        call.push(index);
      } else later.push(index);
    }
    const { target } = prepared[call[0]!] as { target: ActionTarget<unknown, unknown> };
    const reports = await batch.perform(
      call.map((index) => (prepared[index] as { input: unknown }).input),
      target,
      call.map((index) => encodeId('Delivery', plans[index]!.deliveryId)),
    );
    call.forEach((index, position) => (outcomes[index] = reports[position]!));
    pending = later;
  }
  return outcomes;
}
