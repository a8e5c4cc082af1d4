import { builder } from './builder.ts';
import { ConnectionRef } from './connections.ts';
import { expectedErrors } from './errors.ts';
import { decodeId, decodeIdOrNone, encodeId } from '../domains/public-ids.ts';
import { paginate } from './pagination.ts';
import { workspaceOf } from './scope.ts';
import { NotFoundError } from '../domains/errors.ts';
import { getConnection } from '../domains/connections/connection.service.ts';
import { Rule } from '../domains/rules/rule.entity.ts';
import { PATTERN_SYNTAX } from '../domains/rules/match-pattern.ts';
import { createRule, deleteRule, getRule, updateRule } from '../domains/rules/rule.service.ts';
import { unknownFieldWarnings } from '../domains/expressions/rule-expressions.ts';

const EXPRESSION_INPUT =
  'a JSONata expression over { type, resource, resourceId, sequence, timestamp, payload }, compiled when saved';

export const RuleRef = builder.objectRef<Rule>('Rule').implement({
  description: 'Sends events whose type matches `eventTypes` and that pass `condition` to one connection, shaped by `transform`.',
  authScopes: { secret: true },
  fields: (t) => ({
    id: t.id({ skipTypeScopes: true, resolve: (rule) => encodeId('Rule', rule.id) }),
    name: t.exposeString('name', { description: 'Unique in the workspace, 1 to 100 characters.' }),
    eventTypes: t.exposeStringList('eventTypes', { description: `Event-type patterns. ${PATTERN_SYNTAX}` }),
    connection: t.field({
      type: ConnectionRef,
      description: 'Where matching events are delivered.',
      resolve: (rule, _args, context) => getConnection(context.em, workspaceOf(context), rule.connection.id),
    }),
    condition: t.exposeString('condition', {
      nullable: true,
      description: `Only events for which this is true are delivered: ${EXPRESSION_INPUT}. Null delivers every matching event.`,
    }),
    transform: t.exposeString('transform', {
      nullable: true,
      description: `The request body: ${EXPRESSION_INPUT}. Null sends the default body { id type timestamp resource resourceId sequence data }.`,
    }),
    enabled: t.exposeBoolean('enabled', { description: 'Disabled rules route nothing.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  rules: t.connection({
    type: RuleRef,
    description: "The workspace's rules, newest first.",
    authScopes: { secret: true },
    args: { connectionId: t.arg.id({ description: 'Only the rules that deliver to this connection.' }) },
    resolve: (_root, args, context) => {
      // An id that is not a connection's matches nothing, as an unknown one does.
      const connection = args.connectionId == null ? {} : { connection: decodeIdOrNone('Connection', args.connectionId) };
      return paginate(args, ({ id, order, limit }) =>
        context.em.find(
          Rule,
          { workspace: workspaceOf(context), ...connection, ...(id ? { id } : {}) },
          { orderBy: { id: order }, limit, populate: ['connection'] },
        ),
      );
    },
  }),
  rule: t.field({
    type: RuleRef,
    description: 'One rule of the workspace.',
    authScopes: { secret: true },
    errors: { types: [NotFoundError] },
    args: { id: t.arg.id({ required: true, description: 'The rule id, e.g. "rule_0193...".' }) },
    resolve: (_root, args, context) => getRule(context.em, workspaceOf(context), decodeId('Rule', String(args.id))),
  }),
}));

const CreateRuleInput = builder.inputType('CreateRuleInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Unique in the workspace, 1 to 100 characters.' }),
    eventTypes: t.stringList({ required: true, description: `1 to 50 event-type patterns. ${PATTERN_SYNTAX}` }),
    connectionId: t.id({ required: true, description: 'The connection to deliver to.' }),
    condition: t.string({
      description: `Deliver only events for which this is true (JSONata truthiness): ${EXPRESSION_INPUT}, e.g. "payload.total > 100".`,
    }),
    transform: t.string({
      description: `Replaces the default body with its result: ${EXPRESSION_INPUT}, e.g. "{ 'text': 'Order ' & resourceId }".`,
    }),
    enabled: t.boolean({ description: 'Whether the rule routes events. (Default: true)' }),
  }),
});

const UpdateRuleInput = builder.inputType('UpdateRuleInput', {
  description: 'Fields left out stay as they are.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The rule to change.' }),
    name: t.string({ description: 'Unique in the workspace, 1 to 100 characters.' }),
    eventTypes: t.stringList({ description: `1 to 50 event-type patterns. ${PATTERN_SYNTAX}` }),
    connectionId: t.id({ description: 'The connection to deliver to.' }),
    condition: t.string({ description: 'As on create; null or "" removes the condition.' }),
    transform: t.string({ description: 'As on create; null or "" restores the default body.' }),
    enabled: t.boolean({ description: 'Whether the rule routes events.' }),
  }),
});

const DeleteRuleInput = builder.inputType('DeleteRuleInput', {
  fields: (t) => ({ id: t.id({ required: true, description: 'The rule to delete.' }) }),
});

const RulePayload = (name: string) =>
  builder.objectRef<{ rule: Rule }>(name).implement({
    fields: (t) => ({
      rule: t.field({ type: RuleRef, description: 'The rule as it is now.', resolve: (payload) => payload.rule }),
      warnings: t.stringList({
        description: 'Likely mistakes the rule was saved with, e.g. a condition reading "total" where "payload.total" was meant. Try it with testRule.',
        resolve: ({ rule }) => [...unknownFieldWarnings('condition', rule.condition), ...unknownFieldWarnings('transform', rule.transform)],
      }),
    }),
  });

const DeleteRulePayload = builder.objectRef<{ deletedId: string }>('DeleteRulePayload').implement({
  fields: (t) => ({ deletedId: t.exposeID('deletedId', { description: 'Id of the deleted rule.' }) }),
});

/** A public connection id as the service takes it; left out stays left out. */
function withConnectionId<T extends { connectionId?: string | number | null }>(input: T) {
  const { connectionId, ...rest } = input;
  return connectionId == null ? rest : { ...rest, connectionId: decodeId('Connection', String(connectionId)) };
}

builder.mutationFields((t) => ({
  createRule: t.field({
    type: RulePayload('CreateRulePayload'),
    description:
      'Creates a rule. Its expressions are compiled and tried on a sample event first: a syntax error is refused with its ' +
      'position, and an expression that cannot finish (endless recursion or loop) is refused too.',
    authScopes: { secret: true },
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: CreateRuleInput, required: true }) },
    resolve: async (_root, { input }, context) => ({
      rule: await createRule(context.em, workspaceOf(context), withConnectionId(input), context.config),
    }),
  }),
  updateRule: t.field({
    type: RulePayload('UpdateRulePayload'),
    description: 'Changes the fields given; the next event is routed by the new version.',
    authScopes: { secret: true },
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: UpdateRuleInput, required: true }) },
    resolve: async (_root, { input: { id, ...changes } }, context) => ({
      rule: await updateRule(context.em, workspaceOf(context), decodeId('Rule', String(id)), withConnectionId(changes), context.config),
    }),
  }),
  deleteRule: t.field({
    type: DeleteRulePayload,
    description: 'Deletes a rule; deliveries it already made keep their history.',
    authScopes: { secret: true },
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: DeleteRuleInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const id = await deleteRule(context.em, workspaceOf(context), decodeId('Rule', String(input.id)));
      return { deletedId: encodeId('Rule', id) };
    },
  }),
}));
