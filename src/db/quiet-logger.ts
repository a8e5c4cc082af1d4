import { Logger, type LogFunctionFactory } from 'graphile-worker';

/** graphile-worker logs every job by default; keep only its warnings and errors. */
const logFactory: LogFunctionFactory = (scope) => (level, message, meta) => {
  if (level !== 'error' && level !== 'warning') return;
  console.error(`[worker${scope.label ? `:${scope.label}` : ''}] ${level}: ${message}`, meta?.error ?? '');
};

export const quietLogger = new Logger(logFactory);
