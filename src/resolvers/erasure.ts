import { builder } from './builder.ts';
import { expectedErrors } from './errors.ts';
import { workspaceOf } from './scope.ts';
import { eraseResource, type ErasureCounts } from '../domains/retention/erase-resource.ts';

const EraseResourceInput = builder.inputType('EraseResourceInput', {
  description: 'The resource whose data to erase, as its events name it.',
  fields: (t) => ({
    resource: t.string({ required: true, description: 'Kind of thing, as emitted, e.g. "customer".' }),
    resourceId: t.string({ required: true, description: 'Its id in your product, as emitted.' }),
  }),
});

const EraseResourcePayload = builder.objectRef<ErasureCounts>('EraseResourcePayload').implement({
  description: 'What was erased. The delivery records stay (ids, types, times, statuses, status codes), for the audit trail.',
  fields: (t) => ({
    events: t.exposeInt('events', { description: 'Events about the resource.' }),
    payloads: t.exposeInt('payloads', { description: 'Payloads removed (not counting those retention had removed already).' }),
    attemptBodies: t.exposeInt('attemptBodies', { description: 'Attempts whose response bodies were removed.' }),
    deliveriesStopped: t.exposeInt('deliveriesStopped', { description: 'Deliveries still waiting that are now dead and will not be sent.' }),
  }),
});

builder.mutationFields((t) => ({
  eraseResource: t.field({
    type: EraseResourcePayload,
    description:
      'Erases the payloads, and the response bodies of the attempts, of every event about one resource (GDPR Art. 17), ' +
      'stops its deliveries still waiting, and emits `switchyard.resource.erased` with the counts. (Secret key.)',
    authScopes: { secret: true },
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: EraseResourceInput, required: true }) },
    resolve: (_root, { input }, context) => eraseResource(context.em, context.config, workspaceOf(context), input),
  }),
}));
