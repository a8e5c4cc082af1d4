import { Logger, type LogFunctionFactory } from 'graphile-worker';
import { logger } from '../observability/logger.ts';

const log = logger.child({ component: 'graphile-worker' });

/** graphile-worker logs every job by default; keep only its warnings and errors. */
const logFactory: LogFunctionFactory = (scope) => (level, message, meta) => {
  if (level !== 'error' && level !== 'warning') return;
  const fields = { ...(scope.label && { scope: scope.label }), ...(meta?.error !== undefined && { err: meta.error }) };
  if (level === 'error') log.error(fields, message);
  else log.warn(fields, message);
};

export const quietLogger = new Logger(logFactory);
