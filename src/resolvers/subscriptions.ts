import { GraphQLError } from 'graphql';
import { builder } from './builder.ts';
import { readScopes, workspaceOf } from './scope.ts';
import { DeliveryAttemptRef, DeliveryFilterInput, DeliveryRef, deliveryFilter } from './deliveries.ts';
import { Delivery } from '../domains/deliveries/delivery.entity.ts';
import { Attempt } from '../domains/deliveries/attempt.entity.ts';
import { deliveryMatches, type DeliveryFilter } from '../domains/deliveries/queries/delivery-filter.ts';
import type { DeliveryNotification } from '../domains/deliveries/delivery-notifications.ts';
import type { Context } from '../server/context.ts';
import type { Services } from '../services.ts';
import { SubscriberOverflowError } from '../server/push-iterator.ts';

builder.subscriptionType({
  description: 'Live delivery changes over graphql-ws (or SSE) on /graphql, from the workspace of the key that subscribes.',
});

builder.subscriptionFields((t) => ({
  deliveryAttempts: t.field({
    type: DeliveryAttemptRef,
    description: 'Every new attempt of a delivery matching the filter, once it is recorded (secret key).',
    authScopes: readScopes,
    args: { filter: t.arg({ type: DeliveryFilterInput, description: 'Which deliveries; `status` is the delivery\'s status after the attempt.' }) },
    subscribe: (_root, args, context) => deliveryChanges(context, deliveryFilter(args.filter), (change) => change.attempt),
    resolve: (attempt) => attempt,
  }),
  deliveryUpdated: t.field({
    type: DeliveryRef,
    description: 'A delivery matching the filter, as it is after each attempt (its outcome and any retry it schedules) and after each replay (secret key).',
    authScopes: readScopes,
    args: { filter: t.arg({ type: DeliveryFilterInput, description: 'Which deliveries, as they are after the change.' }) },
    subscribe: (_root, args, context) => deliveryChanges(context, deliveryFilter(args.filter), (change) => change.delivery),
    resolve: (delivery) => delivery,
  }),
}));

/** A delivery change as read once for every subscriber of its workspace in this process. */
interface LoadedChange {
  /** With its event loaded, showing the status the change committed. */
  delivery: Delivery;
  attempt: Attempt | null;
}

const loadedChanges = new WeakMap<DeliveryNotification, Promise<LoadedChange | null>>();

/**
 * Reads a change once, however many subscribers it reaches: the pub/sub hands the same
 * notification to each of them. The delivery shows the status the change committed, since a
 * worker may have moved the row on by now; nothing flushes this entity manager, so that stays.
 */
function loadChange(services: Services, notification: DeliveryNotification): Promise<LoadedChange | null> {
  let change = loadedChanges.get(notification);
  if (!change) {
    change = (async () => {
      const em = services.orm.em.fork();
      const workspace = notification.workspaceId;
      const delivery = await em.findOne(Delivery, { id: notification.deliveryId, workspace }, { populate: ['event'] });
      if (!delivery) return null;
      delivery.status = notification.status;
      const attempt = notification.attemptId ? await em.findOne(Attempt, { id: notification.attemptId, delivery: delivery.id, workspace }) : null;
      return { delivery, attempt };
    })();
    loadedChanges.set(notification, change);
  }
  return change;
}

/**
 * The caller's workspace's delivery changes that match the filter, as `pick` takes them from
 * each loaded change (null skips it). The pub/sub hands out the workspace's own notifications
 * only, and each is loaded within its workspace again, so a forged or misrouted notification
 * cannot reach another tenant's rows.
 */
function deliveryChanges<T extends object>(context: Context, filter: DeliveryFilter, pick: (change: LoadedChange) => T | null): AsyncIterableIterator<T> {
  const { pubsub } = context.services;
  if (!pubsub) throw new GraphQLError('This process does not serve subscriptions', { extensions: { code: 'UNAVAILABLE' } });
  const workspaceId = workspaceOf(context);
  // Subscribed now, not on the first next(): a change committed while the server is still
  // setting the stream up must not slip through.
  const source = pubsub.subscribe(workspaceId);

  const iterator: AsyncIterableIterator<T> = {
    async next() {
      try {
        for (;;) {
          const notification = await source.next();
          if (notification.done) return { value: undefined, done: true };
          if (notification.value.workspaceId !== workspaceId) continue;
          const change = await loadChange(context.services, notification.value);
          if (!change || !deliveryMatches(change.delivery, notification.value.status, filter)) continue;
          const picked = pick(change);
          if (!picked) continue;
          // Fields a subscriber selects beyond the change (its connection, say) are read with the
          // subscription's own entity manager: cleared per change, it reads them as committed.
          context.em.clear();
          return { value: picked, done: false };
        }
      } catch (error) {
        await source.return?.();
        // An overflow says what to do about it; anything else is internal and stays masked.
        const message = error instanceof SubscriberOverflowError ? error.message : 'The delivery stream failed; subscribe again';
        throw new GraphQLError(message, {
          originalError: error as Error,
          extensions: { code: 'STREAM_FAILED' },
        });
      }
    },
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
