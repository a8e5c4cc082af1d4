import { ExitCode } from '../exit-codes.ts';
import { CliError } from './output.ts';

interface Answer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** The `/graphql` endpoint of a base URL (a URL that names a path keeps it). */
export function graphqlEndpoint(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = '/graphql';
  return parsed.toString();
}

/**
 * Runs one GraphQL operation with `key` and returns its `field`, turning what can go wrong into
 * a CliError with the exit code it means: out of reach (3), key refused (4), not found (5),
 * input refused (2).
 */
export async function call<T>(url: string, key: string | undefined, query: string, variables: Record<string, unknown>, field: string): Promise<T> {
  if (!key) throw new CliError('no key: pass --key or set SWITCHYARD_API_KEY (SWITCHYARD_ADMIN_KEY for workspaces)', ExitCode.USAGE);
  let response: Response;
  try {
    response = await fetch(graphqlEndpoint(url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new CliError(`cannot reach Switchyard at ${url}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`, ExitCode.UNAVAILABLE);
  }
  const answer = (await response.json().catch(() => ({}))) as Answer;
  const error = answer.errors?.[0];
  if (error) {
    const code = error.extensions?.code;
    const exit = code === 'UNAUTHENTICATED' || code === 'FORBIDDEN' ? ExitCode.REFUSED : ExitCode.FAILURE;
    throw new CliError(error.message, exit);
  }
  const result = answer.data?.[field] as (T & { __typename?: string; message?: string; issues?: { path: string[]; message: string }[] }) | undefined;
  if (!result) throw new CliError(`Switchyard answered HTTP ${response.status} without ${field}`, ExitCode.FAILURE);
  if (result.__typename === 'NotFoundError') throw new CliError(result.message ?? 'not found', ExitCode.NOT_FOUND);
  if (result.__typename === 'ValidationError') {
    throw new CliError(result.issues?.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') ?? result.message ?? 'refused', ExitCode.USAGE);
  }
  if (result.__typename === 'ConflictError') throw new CliError(result.message ?? 'conflict', ExitCode.USAGE);
  return result;
}

/** The typed errors every mutation may answer, selected so `call` can read them. */
export const ERRORS = '__typename ... on Error { message } ... on ValidationError { issues { path message } }';
