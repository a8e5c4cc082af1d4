import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HAND_OVER } from '../src/domains/expressions/direct-evaluation.ts';
import { compileExpression, ExpressionError } from '../src/domains/expressions/expression.ts';
import { runEvaluation, truthy, type EvaluationOutcome } from '../src/domains/expressions/guarded-evaluation.ts';
import { evaluateCondition, type ExpressionInput } from '../src/domains/expressions/rule-expressions.ts';

/** jsonata's own answer, with a time limit no loaded machine reaches. */
function byJsonata(source: string, input: unknown): Promise<EvaluationOutcome> {
  return runEvaluation({ source, input, timeoutMs: 60_000, mode: { kind: 'value' } });
}

/** What the condition answers through the engine's entry point: its verdict, or the error's code. */
async function verdict(source: string, input: unknown): Promise<boolean | string> {
  try {
    return await evaluateCondition(compileExpression(source, 'condition'), input as ExpressionInput, { timeoutMs: 60_000 });
  } catch (error) {
    expect(error).toBeInstanceOf(ExpressionError);
    return (error as ExpressionError).code;
  }
}

/**
 * The direct answer must be jsonata's wherever it gives one, and the condition's verdict (or
 * error code) the same as jsonata's whether the direct evaluator answered or handed over.
 */
async function agrees(source: string, input: unknown): Promise<'direct' | 'handed over'> {
  const direct = compileExpression(source, 'condition').direct;
  expect(direct, `${source} is compiled`).not.toBeNull();
  const expected = await byJsonata(source, input);
  const answer = direct!(input);
  if (answer !== HAND_OVER) expect({ source, outcome: { ok: true, value: answer } }).toEqual({ source, outcome: expected });
  expect({ source, verdict: await verdict(source, input) }).toEqual({ source, verdict: expected.ok ? truthy(expected.value) : expected.code });
  return answer === HAND_OVER ? 'handed over' : 'direct';
}

const input = {
  type: 'order.completed',
  resource: 'order',
  resourceId: 'ord_1',
  sequence: 42,
  timestamp: '2026-01-02T03:04:05.000Z',
  payload: {
    total: 120,
    currency: 'EUR',
    zero: 0,
    empty: '',
    none: null,
    yes: true,
    city: 'Zürich 😀',
    'prénom': 'Zoë',
    address: { country: 'DE', zip: { code: '10115' } },
    blank: {},
    lines: [20, 22],
    items: [{ sku: 'a' }, { sku: 'b' }],
  },
};

describe('the direct evaluator of conditions', () => {
  it.each([
    // Paths: present, missing, through null, scalars, objects, unicode.
    ['payload.total > 100', 'direct'],
    ['payload.missing = 1', 'direct'],
    ['payload.missing != 1', 'direct'],
    ['payload.missing > 1', 'direct'],
    ['payload.none = null', 'direct'],
    ['payload.none.deeper = 1', 'direct'],
    ['payload.total.deeper = 1', 'direct'],
    ['payload.address.zip.code = "10115"', 'direct'],
    ['payload.address', 'direct'],
    ['payload.blank', 'direct'],
    ['payload.city = "Zürich 😀" and payload.`prénom` = "Zoë"', 'direct'],
    ['payload.constructor', 'direct'],
    ['payload.zero or payload.empty', 'direct'],
    // Numbers against strings: equality is false, ordering is jsonata's T2009; null, booleans and objects T2010.
    ['payload.total = "120"', 'direct'],
    ['payload.total > "100"', 'handed over'],
    ['payload.none > 1', 'handed over'],
    ['payload.yes < true', 'handed over'],
    ['payload.address >= 1', 'handed over'],
    ['"b" > "a" and "é" > "z"', 'direct'],
    // Arrays: jsonata maps over them and flattens, so it answers.
    ['payload.lines = 20', 'handed over'],
    ['payload.items.sku = "a"', 'handed over'],
    ['payload.lines', 'handed over'],
    // Two objects compare key by key.
    ['payload.address = payload.address', 'handed over'],
    ['payload.address = "DE"', 'direct'],
    // Short-circuit: the right side's error happens only when it is evaluated.
    ['payload.total < 0 and payload.total > "x"', 'direct'],
    ['payload.total > 0 or payload.total > "x"', 'direct'],
    ['payload.total > 0 and payload.total > "x"', 'handed over'],
    ['payload.total < 0 or payload.lines = 1', 'handed over'],
    // `in`, with an array of literals or anything else.
    ['payload.currency in ["EUR", "USD"]', 'direct'],
    ['payload.missing in []', 'direct'],
    ['payload.none in [null, 1]', 'direct'],
    ['payload.total in 120', 'direct'],
    ['payload.address in payload.address', 'direct'],
    ['1 in payload.lines', 'handed over'],
    // `? :` and parentheses.
    ['payload.yes ? payload.total : 0', 'direct'],
    ['payload.missing ? 1', 'direct'],
    ['(payload.total > 100 or payload.missing) and (type = "order.completed")', 'direct'],
  ])('%s (%s)', async (source, how) => {
    expect(await agrees(source, input)).toBe(how);
  });

  it.each([
    ['payload.total + 1 > 100', true],
    ['-payload.total < 0', true],
    ['payload.lines[] = 20', true],
    ['$ = 1', true],
    ['$length(payload.city) > 3', false],
    ['payload.items[sku = "a"]', false],
    [Array.from({ length: 80 }, (_, k) => `payload.total > ${k}`).join(' and '), true],
  ])('leaves %s to jsonata (bounded: %s)', async (source, bounded) => {
    const compiled = compileExpression(source, 'condition');
    expect(compiled.cost.bounded).toBe(bounded);
    expect(compiled.direct).toBeNull();
    const expected = await byJsonata(source, input);
    expect(await verdict(source, input)).toEqual(expected.ok ? truthy(expected.value) : expected.code);
  });

  it('answers as jsonata does, for generated conditions and events', async () => {
    const names = [
      { source: 'a', key: 'a' },
      { source: 'b', key: 'b' },
      { source: 'payload', key: 'payload' },
      { source: 'sequence', key: 'sequence' },
      { source: 'é', key: 'é' },
      { source: '`two words`', key: 'two words' },
      { source: 'constructor', key: 'constructor' },
    ];
    const strings = fc.constantFrom('', 'a', 'b', 'A', 'é', 'e\u0301', '😀', '\ud800', '10', 'true', 'null');
    const numbers = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(0.5, -0, 1e21, 2 ** 53), fc.double({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }));
    const scalar = fc.oneof(strings, numbers, fc.boolean(), fc.constant(null));
    const { event } = fc.letrec<{ value: unknown; event: Record<string, unknown> }>((tie) => ({
      value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, scalar, tie('event'), fc.array(fc.oneof(scalar, tie('event')), { maxLength: 3 })),
      event: fc.dictionary(fc.constantFrom(...names.map((name) => name.key)), tie('value'), { maxKeys: 5 }),
    }));
    const literal = fc.oneof(strings.map((text) => JSON.stringify(text)), numbers.map(String), fc.constantFrom('true', 'false', 'null'));
    const path = fc.array(fc.constantFrom(...names.map((name) => name.source)), { minLength: 1, maxLength: 3 }).map((steps) => steps.join('.'));
    const { expression } = fc.letrec<{ expression: string; operand: string }>((tie) => ({
      operand: fc.oneof({ depthSize: 'small', withCrossShrink: true }, path, path, literal, tie('expression').map((inner) => `(${inner})`)),
      expression: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        tie('operand'),
        fc.tuple(tie('operand'), fc.constantFrom('=', '!=', '<', '<=', '>', '>=', 'and', 'or'), tie('operand')).map(([l, op, r]) => `${l} ${op} ${r}`),
        fc.tuple(tie('operand'), fc.oneof(fc.array(literal, { maxLength: 4 }).map((items) => `[${items.join(', ')}]`), tie('operand'))).map(([l, r]) => `${l} in ${r}`),
        fc.tuple(tie('operand'), tie('operand'), fc.option(tie('operand'))).map(([c, t, e]) => (e === null ? `${c} ? ${t}` : `${c} ? ${t} : ${e}`)),
      ),
    }));
    const seen = { direct: 0, 'handed over': 0 };
    await fc.assert(
      fc.asyncProperty(expression, event, async (source, generated) => {
        seen[await agrees(source, generated)]++;
      }),
      { numRuns: 3000 },
    );
    // The property says something only if both ways were taken, the direct one mostly.
    expect(seen.direct).toBeGreaterThan(seen['handed over']);
    expect(seen['handed over']).toBeGreaterThan(0);
  });
});
