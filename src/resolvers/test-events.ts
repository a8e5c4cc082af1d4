import { builder } from './builder.ts';
import { DeliveryRef } from './deliveries.ts';
import { expectedErrors } from './errors.ts';
import { EventRef } from './events.ts';
import { decodeId } from '../domains/public-ids.ts';
import { changeScopes, workspaceOf } from './scope.ts';
import { sendTestEvent, type TestSend } from '../domains/events/send-test-event.ts';

const SendTestEventInput = builder.inputType('SendTestEventInput', {
  fields: (t) => ({
    connectionId: t.id({ required: true, description: 'The connection to send the test event to.' }),
    type: t.string({ required: true, description: 'Event type, `resource.action`, e.g. "order.completed".' }),
    payload: t.field({
      type: 'JSON',
      description: "The data; checked against the event type's JSON Schema when it has one. (Default: the event type's `examplePayload`, or {} for a type not in the catalog)",
    }),
  }),
});

const SendTestEventPayload = builder.objectRef<TestSend>('SendTestEventPayload').implement({
  description: 'The test event and its one delivery, queued.',
  fields: (t) => ({
    event: t.field({ type: EventRef, resolve: (sent) => sent.event }),
    delivery: t.field({ type: DeliveryRef, resolve: (sent) => sent.delivery }),
  }),
});

builder.mutationFields((t) => ({
  sendTestEvent: t.field({
    type: SendTestEventPayload,
    description:
      'Sends a test event to one connection: a real delivery, signed, retried and logged like any other, marked `test` ' +
      '(and `"test": true` in the default body). No rule routes it and it takes no sequence number. (Secret key, or a ' +
      'portal session granted SEND_TEST.)',
    authScopes: changeScopes('SEND_TEST'),
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: SendTestEventInput, required: true }) },
    resolve: (_root, { input }, context) =>
      sendTestEvent(
        context.em,
        context.config,
        { workspaceId: workspaceOf(context), routingVersion: context.principal!.routingVersion },
        { ...input, connectionId: decodeId('Connection', String(input.connectionId)) },
      ),
  }),
}));
