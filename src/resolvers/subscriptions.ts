import { GraphQLError } from 'graphql';
import { builder } from './builder.ts';
import { readScopes, workspaceOf } from './scope.ts';
import { DeliveryAttemptRef, DeliveryFilterInput, DeliveryRef, deliveryFilter } from './deliveries.ts';
import { deliveryMatches, type DeliveryFilter } from '../domains/deliveries/queries/delivery-filter.ts';
import { formatCursor, parseCursor } from '../domains/deliveries/changes/change-cursor.ts';
import type { LoadedChange } from '../domains/deliveries/changes/delivery-feed.ts';
import { headCursor } from '../domains/deliveries/changes/read-changes.ts';
import { ValidationError } from '../domains/errors.ts';
import type { Context } from '../server/context.ts';
import { SubscriberOverflowError } from '../server/push-iterator.ts';

builder.subscriptionType({
  description:
    'Delivery changes over graphql-ws (or SSE) on /graphql, from the workspace of the key that subscribes. Every item has a ' +
    '`cursor`: subscribe again with `after:` it to resume where a stream stopped, missing nothing and repeating nothing.',
});

const AFTER =
  'Start after this `cursor` of an item a stream sent (or of deliveryStreamCursor): every change since is sent first, ' +
  'then the live ones. Left out: the changes from now on.';

builder.subscriptionFields((t) => ({
  deliveryAttempts: t.field({
    type: DeliveryAttemptRef,
    description: 'Every new attempt of a delivery matching the filter, once it is recorded (secret key, or a portal session).',
    authScopes: readScopes,
    args: {
      filter: t.arg({ type: DeliveryFilterInput, description: 'Which deliveries; `status` is the delivery\'s status after the attempt.' }),
      after: t.arg.string({ description: AFTER }),
    },
    subscribe: (_root, args, context) => deliveryChanges(context, deliveryFilter(args.filter, context), args.after, (change) => change.attempt),
    resolve: (attempt) => attempt,
  }),
  deliveryUpdated: t.field({
    type: DeliveryRef,
    description:
      'A delivery matching the filter, as it is when it is created (a paused connection\'s too), after each attempt (its outcome ' +
      'and any retry it schedules), after each replay, when its connection is paused or resumed (`paused`), when it is taken back ' +
      'from a worker whose lease ran out, and when eraseResource stops it (secret key, or a portal session).',
    authScopes: readScopes,
    args: {
      filter: t.arg({ type: DeliveryFilterInput, description: 'Which deliveries, as they are after the change.' }),
      after: t.arg.string({ description: AFTER }),
    },
    subscribe: (_root, args, context) => deliveryChanges(context, deliveryFilter(args.filter, context), args.after, (change) => change.delivery),
    resolve: (delivery) => delivery,
  }),
}));

builder.queryFields((t) => ({
  deliveryStreamCursor: t.string({
    description:
      'A cursor at the end of the delivery streams as of now: subscribe with `after:` it, and the stream has every change that ' +
      'commits after this answer, however late the subscription reaches the server.',
    authScopes: readScopes,
    resolve: async (_root, _args, context) => formatCursor(await headCursor(context.em)),
  }),
}));

/**
 * The caller's workspace's delivery changes after `after` that match the filter, as `pick`
 * takes them from each loaded change (null skips it). The feed reads the workspace's own log
 * only, and loads each change within its workspace, so no stream reaches another tenant's rows.
 */
async function deliveryChanges<T extends object>(
  context: Context,
  filter: DeliveryFilter,
  after: string | null | undefined,
  pick: (change: LoadedChange) => T | null,
): Promise<AsyncIterableIterator<T>> {
  const { deliveryFeed } = context.services;
  if (!deliveryFeed) throw new GraphQLError('This process does not serve subscriptions', { extensions: { code: 'UNAVAILABLE' } });
  const workspaceId = workspaceOf(context);
  let cursor;
  try {
    cursor = after ? parseCursor(after, ['after']) : null;
  } catch (error) {
    const { issues } = error as ValidationError;
    throw new GraphQLError(`after: ${issues[0]!.message}`, { extensions: { code: 'BAD_USER_INPUT', field: 'after' } });
  }
  // Registered before this returns: a change that commits while the server is still setting the
  // stream up is in it.
  const source = await deliveryFeed.follow(workspaceId, cursor);
  let last = after ?? null;

  const iterator: AsyncIterableIterator<T> = {
    async next() {
      try {
        for (;;) {
          const change = await source.next();
          if (change.done) return { value: undefined, done: true };
          last = change.value.cursor;
          if (!deliveryMatches(change.value.delivery, change.value.delivery.status, filter)) continue;
          const picked = pick(change.value);
          if (!picked) continue;
          // Fields a subscriber selects beyond the change (its connection, say) are read with the
          // subscription's own entity manager: cleared per change, it reads them as committed.
          context.em.clear();
          return { value: picked, done: false };
        }
      } catch (error) {
        await source.return?.();
        // An overflow says what to do about it; anything else is internal and stays masked.
        const resume = last ? ` with after: "${last}"` : '';
        const message = error instanceof SubscriberOverflowError ? `${error.message}${resume}` : `The delivery stream failed; subscribe again${resume}`;
        throw new GraphQLError(message, { originalError: error as Error, extensions: { code: 'STREAM_FAILED', ...(last ? { cursor: last } : {}) } });
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
