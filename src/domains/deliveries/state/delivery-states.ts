import type { DeliveryStatus } from '../delivery.entity.ts';

/**
 * The delivery state machine. Every change of a delivery's state is one of the events below,
 * made by one statement of this folder (one file each, named after what it does); nothing else
 * writes `deliveries.status`.
 *
 * ```
 *   emit ───────────────▶ PENDING ◀─────────────────── replay ──────────────────┐
 *   emit, condition fails ───────────────────────────────────────▶ DEAD        │
 *                           │ claim   ▲ release (untried: no room, or held     │
 *                           ▼         │ and let go; RETRYING after attempts)   │
 *       ┌── claim ───── DELIVERING ───── succeed ────▶ SUCCEEDED ─── replay ───┤
 *       │ (due, or      │  │  │                                                │
 *       │  lease ran    │  │  └───────── die ────────▶ DEAD ───────── replay ───┤
 *       │  out)         │  └─ retry, park on failure, recover, throttle        │
 *       │               ▼                                                      │
 *       └───────────  RETRYING ─────────────────────────────────── replay ─────┘
 *
 *   park / unpark: PENDING and RETRYING deliveries of a paused or disabled connection wait,
 *   parked (a flag beside the state, not a state), and are due again on resume.
 *   throttle: the vendor's quota for the account is spent; the delivery is due again at once and
 *   its connection waits instead (`throttled_until`, see quota-wait.ts): no claim takes anything
 *   of it meanwhile, and the attempt spends none of the schedule's attempts.
 *   erase: PENDING and RETRYING deliveries of an erased event go DEAD (eraseResource).
 * ```
 *
 * A claim leases the delivery for one attempt: a token (`lease`) and an end (`claimed_until`,
 * the connection's timeout plus `SWITCHYARD_STALE_JOB_SECONDS`). The events that end an attempt
 * (succeed, retry, park on failure, die) apply only under the claim's token; an attempt whose
 * claim was taken over meanwhile is recorded in the history and changes nothing (`late`).
 * A lease that ran out counts as abandoned: the next claim, or the stalled-work sweep, takes it.
 * The deliveries sent in one call (a batching kind's) share their claim's token; `release` gives
 * back those no call had room for (their key was in flight), that a batch call handed back, or
 * that a pump claimed ahead of its free slots and let go of unsent (pump-connection.ts), with no
 * attempt counted.
 */
export type DeliveryEvent = keyof typeof TRANSITIONS;

/** Who makes a change, for people reading the table. */
type Trigger = string;

export interface Transition {
  /** The states it applies to; null for the events that create a delivery. */
  from: readonly DeliveryStatus[] | null;
  /**
   * The state it leaves; `same` leaves the state and changes only whether it is parked; `unclaimed`
   * is where the delivery waited before its claim: PENDING before its chain's first attempt,
   * RETRYING (due) after.
   */
  to: DeliveryStatus | 'same' | 'unclaimed';
  /** A condition beyond the state, checked by the same statement. */
  when?: string;
  by: Trigger;
}

/** Deliveries a pump may claim: due now, or abandoned by a worker whose lease ran out. */
export const CLAIMABLE: readonly DeliveryStatus[] = ['PENDING', 'RETRYING', 'DELIVERING'];
/** Deliveries that wait for an attempt, and so can wait for their connection too. */
export const WAITING: readonly DeliveryStatus[] = ['PENDING', 'RETRYING'];
/** Deliveries that may start a new attempt chain: none queued or in flight. */
export const REPLAYABLE: readonly DeliveryStatus[] = ['SUCCEEDED', 'RETRYING', 'DEAD'];
/** Deliveries not finished: queued, in flight or waiting for a retry. */
export const UNFINISHED: readonly DeliveryStatus[] = ['PENDING', 'RETRYING', 'DELIVERING'];

const HELD = ['DELIVERING'] as const;

/** Every legal change; anything else is refused (the statement matches no row). */
export const TRANSITIONS = {
  create: { from: null, to: 'PENDING', by: 'emitEvent, emitEvents, sendTestEvent, operational events' },
  createDead: { from: null, to: 'DEAD', when: "a rule's condition cannot be evaluated", by: 'emitEvent, emitEvents' },
  claim: {
    from: CLAIMABLE,
    to: 'DELIVERING',
    when: 'PENDING, RETRYING due, or DELIVERING whose lease ran out; not parked; the cap, rate limit, ordering and quota wait allow',
    by: "the connection's pump",
  },
  succeed: { from: HELD, to: 'SUCCEEDED', when: 'under the claim', by: 'the pump, on a 2xx' },
  retry: { from: HELD, to: 'RETRYING', when: 'under the claim; attempts left', by: 'the pump, on a failure' },
  parkOnFailure: {
    from: HELD,
    to: 'RETRYING',
    when: 'under the claim; the failure stopped the connection (410 Gone, failing too long, a destination gone, credentials refused)',
    by: 'the pump, on a failure',
  },
  die: {
    from: HELD,
    to: 'DEAD',
    when: 'under the claim; no attempts left, or rejected for good (the vendor refused the input, the transform failed or its result did not fit)',
    by: 'the pump, on a failure',
  },
  release: {
    from: HELD,
    to: 'unclaimed',
    when: 'under the claim; not sent: its key was in a call in flight, a batch call handed it back (it goes alone from then on), or it was claimed ahead of the free slots and the pump let go of it',
    by: 'the pump',
  },
  throttle: {
    from: HELD,
    to: 'RETRYING',
    when: "under the claim; the vendor's quota for the account is spent: the connection waits, and the attempt is not counted",
    by: 'the pump, on a quota answer (HubSpot 429, Salesforce REQUEST_LIMIT_EXCEEDED)',
  },
  recover: { from: HELD, to: 'RETRYING', when: 'the lease ran out', by: 'the stalled-work sweep of any worker' },
  replay: { from: REPLAYABLE, to: 'PENDING', when: "the event keeps its payload (not erased, not removed by retention)", by: 'replayDelivery, replayDeliveries' },
  park: { from: WAITING, to: 'same', when: 'the connection is not active', by: "the connection's pump" },
  unpark: { from: WAITING, to: 'same', when: 'parked', by: 'resumeConnection' },
  erase: { from: WAITING, to: 'DEAD', when: "the delivery's event was erased", by: 'eraseResource' },
} as const satisfies Record<string, Transition>;

/** `status in (...)` for SQL, from one of the lists above (aliased `alias`). */
export function statusIn(statuses: readonly DeliveryStatus[], alias?: string): string {
  return `${alias ? `${alias}.` : ''}status in (${statuses.map((status) => `'${status}'`).join(', ')})`;
}

/** The state a new delivery starts in, and whether it waits for its connection. */
export function initialState(options: { connectionActive: boolean; conditionError?: string }): {
  status: 'PENDING' | 'DEAD';
  parked: boolean;
  lastError: string | null;
} {
  // A condition that cannot be evaluated is recorded, not silently dropped: the delivery is
  // dead-lettered with the reason, and can be replayed once the rule is fixed.
  if (options.conditionError) return { status: 'DEAD', parked: false, lastError: options.conditionError };
  return { status: 'PENDING', parked: !options.connectionActive, lastError: null };
}
