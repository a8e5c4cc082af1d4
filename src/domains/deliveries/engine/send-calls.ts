import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../../config.ts';
import type { Db } from '../../../db/prepared-statement.ts';
import { performCall, prepareActions, type ReadyAction } from '../../destinations/perform-action.ts';
import type { AttemptPlan } from '../state/attempt-plan.ts';
import type { AttemptResult } from '../state/attempt-result.ts';
import { releaseClaims, type Release } from '../state/release.ts';
import { returnTokens } from '../state/return-tokens.ts';
import { actionPlan, nothingToSend, resultOf } from './attempt-delivery.ts';

/** What became of one claimed delivery of a batching kind: its attempt's result, or given back untried. */
export type CallOutcome = AttemptResult | 'released';

/**
 * The batch keys (emails, say) of the calls a pump run has in flight: a key is in one call at a
 * time, so a vendor never sees one contact written twice at once, in whichever order.
 */
export class KeysInFlight {
  readonly #keys = new Set<string>();
  #waiters: (() => void)[] = [];

  /** Takes `key` for a call; false when a call in flight has it. */
  take(key: string): boolean {
    if (this.#keys.has(key)) return false;
    this.#keys.add(key);
    return true;
  }

  free(keys: readonly string[]): void {
    for (const key of keys) this.#keys.delete(key);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves when a call in flight frees its keys (at once when none is in flight). */
  freed(): Promise<void> {
    if (this.#keys.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/** One claim's calls as sent: each delivery's outcome, call by call, in the claim's order. */
export interface SentCalls {
  outcomes: Promise<CallOutcome>[][];
  /**
   * Resolves once the calls are formed: false when every delivery went back because its key was
   * in flight, so a claim at once would only take them back again.
   */
  progressed: Promise<boolean>;
}

/** A call as formed: the actions it sends, and the outcomes known without sending. */
interface FormedCall {
  members: { plan: AttemptPlan; action: ReadyAction }[];
  settled: Map<string, CallOutcome>;
}

/**
 * Sends the calls of one claim of a batching kind (deliveries that share a lease go in one call):
 * their action inputs are made `PREPARED_AT_ONCE` at a time, then each call sends those whose key
 * no call in flight has (`keys`, the run's); the others go back untried (`release`) for a later
 * claim. A call of one is performed as any single delivery; an item a batch call hands back goes
 * back too, marked to go alone, since the claim paid for one call, not for more. A delivery
 * whose event has no payload left is not sent, nor one whose transform fails. A call left with
 * nothing to send makes no request, and its rate-limit token goes back to the bucket.
 */
export function sendCalls(em: EntityManager, db: Db, config: Config, calls: readonly (readonly AttemptPlan[])[], keys: KeysInFlight): SentCalls {
  const sendable = calls.flat().filter((plan) => !plan.event.payloadRemovedAt);
  const formed = prepareActions(config, sendable.map((plan) => actionPlan(em, config, plan))).then((prepared) => {
    const actions = new Map(sendable.map((plan, index) => [plan.deliveryId, prepared[index]!]));
    const waiting: Release[] = [];
    const forms = calls.map((call): FormedCall => {
      const form: FormedCall = { members: [], settled: new Map() };
      for (const plan of call) {
        const action = actions.get(plan.deliveryId);
        if (!action) form.settled.set(plan.deliveryId, nothingToSend(plan.event.payloadRemovedAt!));
        else if ('report' in action) form.settled.set(plan.deliveryId, resultOf(action.report));
        else if (keys.take(action.key!)) form.members.push({ plan, action });
        else {
          waiting.push({ plan, alone: false });
          form.settled.set(plan.deliveryId, 'released');
        }
      }
      return form;
    });
    const unsent = calls.filter((_, index) => forms[index]!.members.length === 0);
    const released = Promise.all([releaseClaims(db, waiting), unsent[0] && returnTokens(db, unsent[0][0]!.connection.id, unsent.length)]);
    return { forms, released, progressed: waiting.length < calls.flat().length };
  });
  const outcomes = calls.map((call, index) => {
    const sent = formed.then(async ({ forms, released }) => {
      const answered = await sendFormed(db, forms[index]!, keys);
      await released;
      return answered;
    });
    return call.map((plan) => sent.then((outcomes) => outcomes.get(plan.deliveryId)!));
  });
  // A claim that failed to form is logged with each delivery's outcome; the run goes on.
  return { outcomes, progressed: formed.then((result) => result.progressed, () => true) };
}

/** Sends a formed call, frees its keys once answered, and gives back what the vendor handed back. */
async function sendFormed(db: Db, form: FormedCall, keys: KeysInFlight): Promise<Map<string, CallOutcome>> {
  const outcomes = new Map(form.settled);
  if (form.members.length === 0) return outcomes;
  let reports;
  try {
    reports = await performCall(form.members.map((member) => member.action));
  } finally {
    keys.free(form.members.map((member) => member.action.key!));
  }
  const alone: Release[] = [];
  form.members.forEach(({ plan }, position) => {
    const report = reports[position]!;
    if (report === 'unbatched') alone.push({ plan, alone: true });
    outcomes.set(plan.deliveryId, report === 'unbatched' ? 'released' : resultOf(report));
  });
  await releaseClaims(db, alone);
  return outcomes;
}
