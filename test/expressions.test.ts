import { describe, expect, it } from 'vitest';
import { ValidationError } from '../src/domains/errors.ts';
import {
  compileExpression,
  evaluate,
  ExpressionError,
  MAX_EXPRESSION_LENGTH,
  storedExpression,
} from '../src/domains/expressions/expression.ts';
import {
  evaluateCondition,
  evaluateTransform,
  expressionInput,
  mayRead,
  type ExpressionInput,
} from '../src/domains/expressions/rule-expressions.ts';

const input: ExpressionInput = expressionInput({
  type: 'order.completed',
  resource: 'order',
  resourceId: 'ord_1',
  sequence: 42,
  createdAt: new Date('2026-01-02T03:04:05.000Z'),
  payload: { total: 120, currency: 'EUR', items: [{ sku: 'a', qty: 2 }, { sku: 'b', qty: 1 }] },
});

const limits = { timeoutMs: 50, maxBytes: 1024 };

function validationIssue(run: () => unknown) {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues[0]!;
  }
  throw new Error('expected a ValidationError');
}

async function expressionFailure(run: () => Promise<unknown>): Promise<ExpressionError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(ExpressionError);
    return error as ExpressionError;
  }
  throw new Error('expected an ExpressionError');
}

describe('compileExpression', () => {
  it('refuses a syntax error with the field, the position and the reason', () => {
    const issue = validationIssue(() => compileExpression('payload.{ "a": }', 'transform'));
    expect(issue.path).toEqual(['input', 'transform']);
    expect(issue.message).toContain('at position 16');
    expect(issue.message).toContain('The symbol "}" cannot be used as a unary operator');
    expect(issue.message).toContain('S0211');
  });

  it('refuses an expression longer than the limit', () => {
    const issue = validationIssue(() => compileExpression(`"${'x'.repeat(MAX_EXPRESSION_LENGTH)}"`, 'condition'));
    expect(issue).toEqual({ path: ['input', 'condition'], message: `must be at most ${MAX_EXPRESSION_LENGTH} characters` });
  });

  it('compiles the same text once and hands out the cached compilation', () => {
    expect(compileExpression('payload.total * 2', 'transform')).toBe(compileExpression('payload.total * 2', 'condition'));
  });

  it('loads a stored expression that no longer parses without failing, and fails when it is evaluated', async () => {
    const stored = storedExpression('payload.(');
    const failure = await expressionFailure(() => evaluate(stored, input, limits));
    expect(failure.code).toMatch(/^S0/);
  });
});

describe('evaluateCondition', () => {
  it('passes on true and fails on false', async () => {
    expect(await evaluateCondition(compileExpression('payload.total > 100', 'condition'), input, limits)).toBe(true);
    expect(await evaluateCondition(compileExpression('payload.total > 500', 'condition'), input, limits)).toBe(false);
  });

  it('reads the event fields next to the payload', async () => {
    const condition = compileExpression('type = "order.completed" and resourceId = "ord_1" and sequence = 42', 'condition');
    expect(await evaluateCondition(condition, input, limits)).toBe(true);
    expect(await evaluateCondition(compileExpression('timestamp', 'condition'), input, limits)).toBe(true);
  });

  it('casts results the way $boolean() does', async () => {
    const cases: Array<[string, boolean]> = [
      ['payload.missing', false],
      ['payload.items[sku = "a"]', true],
      ['payload.items[sku = "z"]', false],
      ['""', false],
      ['"yes"', true],
      ['0', false],
      ['{}', false],
      ['[0, 1]', true],
      ['null', false],
    ];
    for (const [source, expected] of cases) {
      expect([source, await evaluateCondition(compileExpression(source, 'condition'), input, limits)]).toEqual([source, expected]);
    }
  });

  it('turns an evaluation error into an ExpressionError naming the condition and position', async () => {
    const failure = await expressionFailure(() => evaluateCondition(compileExpression('$nope(1)', 'condition'), input, limits));
    expect(failure.code).toBe('T1006');
    expect(failure.position).toBe(6);
    expect(failure.message).toMatch(/^condition: .*at position 6 \(T1006\)$/);
  });

  it("reports jsonata's error for a condition answered in place, too", async () => {
    const condition = compileExpression('payload.total > "100"', 'condition');
    expect(condition.direct).not.toBeNull();
    const failure = await expressionFailure(() => evaluateCondition(condition, input, limits));
    expect(failure.code).toBe('T2009');
    expect(failure.message).toMatch(/^condition: .*at position 15 \(T2009\)$/);
  });

  it.each([
    ['sequence % 2 = 1', true],
    ['type = "a" or (payload.n > 1 and sequence > 3)', true],
    ['$ = 1', true],
    ['$$.sequence > 1', true],
    ['$string($) != ""', true],
    ['payload.sequence > 1 and type = "a"', false],
    ['"sequence" = resourceId', false],
  ])('%s may read the sequence: %s', (source, reads) => {
    expect(mayRead(compileExpression(source, 'condition'), 'sequence')).toBe(reads);
  });
});

describe('evaluateTransform', () => {
  it('returns the body as JSON text', async () => {
    const transform = compileExpression('{ "text": "Order " & resourceId & " for " & payload.total, "skus": payload.items.sku }', 'transform');
    expect(JSON.parse(await evaluateTransform(transform, input, limits))).toEqual({ text: 'Order ord_1 for 120', skus: ['a', 'b'] });
  });

  it('refuses a result larger than the cap with a typed error', async () => {
    const transform = compileExpression('$pad("", 5000, "x")', 'transform');
    const failure = await expressionFailure(() => evaluateTransform(transform, input, limits));
    expect(failure.code).toBe('OUTPUT_TOO_LARGE');
    expect(failure.message).toContain('SWITCHYARD_MAX_TRANSFORM_BYTES');
  });

  it('refuses a transform that produces nothing', async () => {
    const failure = await expressionFailure(() => evaluateTransform(compileExpression('payload.missing', 'transform'), input, limits));
    expect(failure.code).toBe('NO_OUTPUT');
    expect(failure.message).toMatch(/^transform: /);
  });
});

describe('guardrails', () => {
  it('stops a runaway recursion within about the time limit instead of hanging', async () => {
    const runaway = compileExpression('($f := function($x){ $f($x) }; $f(1))', 'transform');
    const started = performance.now();
    const failure = await expressionFailure(() => evaluate(runaway, input, { timeoutMs: 50 }));
    expect(['D1011', 'D1012']).toContain(failure.code);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('stops a deep recursion at the depth limit', async () => {
    const deep = compileExpression('($f := function($x){ $x = 0 ? 0 : 1 + $f($x - 1) }; $f(100000))', 'transform');
    const failure = await expressionFailure(() => evaluate(deep, input, { timeoutMs: 1000 }));
    expect(failure.code).toBe('D1011');
  });

  it('stops a long loop at the time limit', async () => {
    const loop = compileExpression('$reduce([1..200000], function($acc, $v){ $acc + $v }, 0)', 'transform');
    const started = performance.now();
    const failure = await expressionFailure(() => evaluate(loop, input, { timeoutMs: 20 }));
    expect(failure.code).toBe('D1012');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses to build a huge sequence', async () => {
    const failure = await expressionFailure(() => evaluate(compileExpression('$count([1..5000000])', 'condition'), input, limits));
    expect(failure.code).toBe('D2015');
  });

  it('keeps the guardrails inside $eval', async () => {
    const escaped = compileExpression('$eval("($f := function($x){ $f($x) }; $f(1))")', 'transform');
    const failure = await expressionFailure(() => evaluate(escaped, input, { timeoutMs: 50 }));
    expect(['D1011', 'D1012']).toContain(failure.code);
  });
});
