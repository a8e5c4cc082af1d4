import { readFileSync } from 'node:fs';

export const README = new URL('../../README.md', import.meta.url);

/** A fenced code block of the README: its info string (`sh`, `sh receiver`, `ts` ...) and text. */
export interface CodeBlock {
  info: string;
  code: string;
}

/** The code blocks of the README section that starts with `heading`, in order. */
export function readmeBlocks(heading: string): CodeBlock[] {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no section "${heading}"`);
  const next = text.indexOf('\n## ', start + heading.length + 2);
  const section = text.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].map((match) => ({ info: match[1]!.trim(), code: match[2]! }));
}
