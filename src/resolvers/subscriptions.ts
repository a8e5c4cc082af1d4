import { GraphQLError } from 'graphql';
import { builder } from './builder.ts';
import { workspaceOf } from './scope.ts';
import { DeliveryAttemptRef, DeliveryFilterInput, DeliveryRef, deliveryFilter } from './deliveries.ts';
import { Delivery } from '../domains/deliveries/delivery.entity.ts';
import { Attempt } from '../domains/deliveries/attempt.entity.ts';
import { deliveryWhere, type DeliveryFilter } from '../domains/deliveries/delivery-filter.ts';
import type { DeliveryNotification } from '../domains/deliveries/delivery-notifications.ts';
import type { Context } from '../server/context.ts';
import { SubscriberOverflowError } from '../server/pubsub.ts';

builder.subscriptionType({
  description: 'Live delivery changes over graphql-ws (or SSE) on /graphql, from the workspace of the key that subscribes.',
});

builder.subscriptionFields((t) => ({
  deliveryAttempts: t.field({
    type: DeliveryAttemptRef,
    description: 'Every new attempt of a delivery matching the filter, once it is recorded (secret key).',
    authScopes: { secret: true },
    args: { filter: t.arg({ type: DeliveryFilterInput, description: 'Which deliveries; `status` is the delivery\'s status after the attempt.' }) },
    subscribe: (_root, args, context) =>
      deliveryChanges(context, deliveryFilter(args.filter), async (where, notification) => {
        if (!notification.attemptId) return null;
        // The delivery is checked first: the filter is about it, and it scopes the attempt.
        const delivery = await loadDelivery(context, where, notification);
        if (!delivery) return null;
        return context.em.findOne(Attempt, { id: notification.attemptId, delivery: delivery.id, workspace: delivery.workspace.id });
      }),
    resolve: (attempt) => attempt,
  }),
  deliveryUpdated: t.field({
    type: DeliveryRef,
    description: 'A delivery matching the filter, as it is after each attempt (its outcome and any retry it schedules) and after each replay (secret key).',
    authScopes: { secret: true },
    args: { filter: t.arg({ type: DeliveryFilterInput, description: 'Which deliveries, as they are after the change.' }) },
    subscribe: (_root, args, context) =>
      deliveryChanges(context, deliveryFilter(args.filter), (where, notification) => loadDelivery(context, where, notification)),
    resolve: (delivery) => delivery,
  }),
}));

/**
 * The delivery a change is about, showing the status that change committed: each message of a
 * stream then describes its own change, even when the row has moved on since. The subscription's
 * entity manager is never flushed, so the shown status stays in the message.
 */
async function loadDelivery(context: Context, where: ReturnType<typeof deliveryWhere>, notification: DeliveryNotification) {
  const delivery = await context.em.findOne(Delivery, { $and: [where, { id: notification.deliveryId }] });
  if (delivery) delivery.status = notification.status;
  return delivery;
}

type Load<T> = (where: ReturnType<typeof deliveryWhere>, notification: DeliveryNotification) => Promise<T | null>;

/**
 * The caller's workspace's delivery changes, each loaded with the subscription's own entity
 * manager and workspace, skipping those the filter (or `load`) rejects. The pub/sub only hands
 * out the workspace's own notifications; loading through the workspace again keeps a forged or
 * misrouted notification from reaching another tenant's rows.
 */
function deliveryChanges<T extends object>(context: Context, filter: DeliveryFilter, load: Load<T>): AsyncIterableIterator<T> {
  const pubsub = context.services.pubsub;
  if (!pubsub) throw new GraphQLError('This process does not serve subscriptions', { extensions: { code: 'UNAVAILABLE' } });
  const workspaceId = workspaceOf(context);
  // The status filter is matched against the status the change committed, below: by the time a
  // subscriber reads the row, a worker may already have moved it on.
  const { statuses, ...rest } = filter;
  const where = deliveryWhere(workspaceId, rest);
  // Subscribed now, not on the first next(): a change committed while the server is still
  // setting the stream up must not slip through.
  const source = pubsub.subscribe(workspaceId);

  const iterator: AsyncIterableIterator<T> = {
    async next() {
      try {
        for (;;) {
          const change = await source.next();
          if (change.done) return { value: undefined, done: true };
          if (statuses?.length && !statuses.includes(change.value.status)) continue;
          // One entity manager serves the whole subscription, one change at a time; clearing it
          // makes each change read the row as committed, not as an earlier change left it.
          context.em.clear();
          const loaded = await load(where, change.value);
          if (loaded) return { value: loaded, done: false };
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
