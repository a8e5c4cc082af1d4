import jsonata from 'jsonata';
import type { AstNode } from './jsonata-ast.ts';

/** A field an expression reads from the top of its input. */
export interface FieldReference {
  name: string;
  /** Where the name starts in the expression, from 0. */
  position: number;
}

/**
 * The names an expression reads from the top of its input (`total` in `total > 100`,
 * `resourceId` in `{ "id": resourceId }`). It walks only where the context is surely the input
 * itself: operators, conditions, blocks, array and object constructors and function arguments,
 * not path steps after the first, filters or lambdas, whose context is something else. So it
 * may miss a name, but never reports one that is not read from the top.
 */
export function topLevelFields(source: string): FieldReference[] {
  let root: AstNode;
  try {
    root = jsonata(source).ast() as AstNode;
  } catch {
    return [];
  }
  const found: FieldReference[] = [];
  const visit = (node: AstNode | undefined): void => {
    if (!node || typeof node !== 'object') return;
    switch (node.type) {
      case 'path': {
        const [first, second] = node.steps ?? [];
        // `$.total` and `$$.total` read from the top too.
        const step = first?.type === 'variable' && (first.value === '' || first.value === '$') ? second : first;
        if (step) visit(step.type === 'name' ? step : undefined);
        return;
      }
      case 'name':
        if (typeof node.value === 'string') found.push({ name: node.value, position: (node.position ?? node.value.length) - node.value.length });
        return;
      case 'binary':
      case 'apply':
        visit(node.lhs as AstNode);
        visit(node.rhs);
        return;
      case 'bind':
        visit(node.rhs);
        return;
      case 'condition':
        visit(node.condition);
        visit(node.then);
        visit(node.else);
        return;
      case 'block':
        node.expressions?.forEach(visit);
        return;
      case 'function':
        node.arguments?.forEach(visit);
        return;
      case 'unary':
        if (node.value === '-') visit(node.expression);
        else if (node.value === '[') node.expressions?.forEach(visit);
        else if (node.value === '{' && Array.isArray(node.lhs)) for (const [key, value] of node.lhs as AstNode[][]) [key, value].forEach(visit);
        return;
      default:
        return;
    }
  };
  visit(root);
  return found;
}
