import { builder } from './builder.ts';
import { decodeId } from '../domains/public-ids.ts';
import { workspaceOf } from './scope.ts';
import { NotFoundError, ValidationError } from '../domains/errors.ts';
import { PATTERN_SYNTAX } from '../domains/rules/match-pattern.ts';
import { testRule, type ExpressionFailure, type ExpressionTrial, type RuleTrial } from '../domains/rules/test-rule.ts';

const RuleFieldsInput = builder.inputType('RuleFieldsInput', {
  description: 'A rule\'s routing fields, as createRule takes them; with a ruleId, those given replace the saved ones for the trial.',
  fields: (t) => ({
    eventTypes: t.stringList({ description: `Event-type patterns. ${PATTERN_SYNTAX}` }),
    condition: t.string({ description: 'JSONata condition; null or "" for none.' }),
    transform: t.string({ description: 'JSONata transform; null or "" for the default body.' }),
  }),
});

const TrialEventInput = builder.inputType('TrialEventInput', {
  description: 'An event to try a rule on; nothing is stored or sent.',
  fields: (t) => ({
    type: t.string({ required: true, description: 'Event type, e.g. "order.completed" (operational `switchyard.*` types too).' }),
    resource: t.string(),
    resourceId: t.string(),
    payload: t.field({ type: 'JSON', description: 'The data. (Default: {})' }),
    sequence: t.field({ type: 'SafeInt', description: 'The sequence the expressions see. (Default: 1)' }),
    timestamp: t.field({ type: 'DateTime', description: 'The timestamp the expressions see. (Default: now)' }),
  }),
});

const TestRuleInput = builder.inputType('TestRuleInput', {
  description: 'A rule (`ruleId`, `rule`, or both: a saved rule with some fields replaced) and one event (`event` or `eventId`).',
  fields: (t) => ({
    ruleId: t.id({ description: 'A saved rule.' }),
    rule: t.field({ type: RuleFieldsInput, description: 'A draft rule, or the fields that replace the saved rule\'s.' }),
    event: t.field({ type: TrialEventInput, description: 'The event to try; give this or `eventId`.' }),
    eventId: t.id({ description: 'A stored event to try, e.g. one that was not delivered.' }),
  }),
});

const ExpressionFailureRef = builder.objectRef<ExpressionFailure>('ExpressionFailure').implement({
  description: 'Why an expression could not be compiled or evaluated.',
  fields: (t) => ({
    code: t.exposeString('code', { description: 'jsonata\'s code (S0... syntax, D1012 time limit, T... types) or NO_OUTPUT, NOT_JSON, OUTPUT_TOO_LARGE, TOO_LONG.' }),
    message: t.exposeString('message', { description: 'What went wrong, with the position.' }),
    position: t.exposeInt('position', { nullable: true, description: 'Character position in the expression, when known.' }),
  }),
});

const VALUE = 'What it evaluated to; null when it produced nothing or failed.';

const ConditionTrialRef = builder.objectRef<ExpressionTrial & { passed: boolean }>('ConditionTrial').implement({
  description: 'What the condition did with the event.',
  fields: (t) => ({
    source: t.exposeString('source', { description: 'The condition.' }),
    value: t.field({ type: 'JSON', nullable: true, description: VALUE, resolve: (trial) => trial.value ?? null }),
    passed: t.exposeBoolean('passed', { description: 'Whether the value counts as true (JSONata truthiness); false when it failed.' }),
    error: t.field({ type: ExpressionFailureRef, nullable: true, description: 'Why it failed: the event would be dead-lettered with this.', resolve: (trial) => trial.error }),
  }),
});

const TransformTrialRef = builder.objectRef<ExpressionTrial>('TransformTrial').implement({
  description: 'What the transform made of the event.',
  fields: (t) => ({
    source: t.exposeString('source', { description: 'The transform.' }),
    value: t.field({ type: 'JSON', nullable: true, description: VALUE, resolve: (trial) => trial.value ?? null }),
    error: t.field({ type: ExpressionFailureRef, nullable: true, description: 'Why it failed: the delivery would fail with this.', resolve: (trial) => trial.error }),
  }),
});

const PatternMatchRef = builder.objectRef<RuleTrial['patterns'][number]>('PatternMatch').implement({
  description: 'Whether one event-type pattern matches the event\'s type.',
  fields: (t) => ({
    pattern: t.exposeString('pattern'),
    matched: t.exposeBoolean('matched'),
  }),
});

const TestRulePayload = builder.objectRef<RuleTrial>('TestRulePayload').implement({
  description: 'What the rule would do with the event; nothing was stored or sent.',
  fields: (t) => ({
    matched: t.exposeBoolean('matched', {
      description: 'The type matches a pattern and the condition (if any) passes: an enabled rule would route the event.',
    }),
    patterns: t.field({ type: [PatternMatchRef], description: 'Each pattern, and whether it matches.', resolve: (trial) => trial.patterns }),
    condition: t.field({ type: ConditionTrialRef, nullable: true, description: 'Null when the rule has no condition.', resolve: (trial) => trial.condition }),
    transform: t.field({ type: TransformTrialRef, nullable: true, description: 'Null when the rule has no transform.', resolve: (trial) => trial.transform }),
    body: t.exposeString('body', {
      nullable: true,
      description: 'The request body the connection would get, exactly as it would be signed and sent; null when the transform fails.',
    }),
    warnings: t.exposeStringList('warnings', {
      description: 'Likely mistakes, e.g. a name read from the top of the input that no event has ("total" for "payload.total").',
    }),
  }),
});

builder.queryFields((t) => ({
  testRule: t.field({
    type: TestRulePayload,
    description:
      'Tries a rule on one event without sending anything: which patterns match, what the condition and the transform ' +
      'evaluate to (or their error, with its position), and the body that would be sent. (Secret key.)',
    authScopes: { secret: true },
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: TestRuleInput, required: true }) },
    resolve: (_root, { input }, context) =>
      testRule(context.em, context.config, workspaceOf(context), {
        ...input,
        ruleId: input.ruleId == null ? input.ruleId : decodeId('Rule', String(input.ruleId)),
        eventId: input.eventId == null ? input.eventId : decodeId('Event', String(input.eventId)),
      }),
  }),
}));
