import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import { redactSecrets, serializeError } from './redaction.ts';

export type { Logger } from 'pino';

/** `silent` writes nothing, not even the lines `announce` writes whatever the level. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
/** `auto`: pretty when standard output is a terminal, JSON lines otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/** What every line written during one request (or socket) carries, e.g. its request id. */
export interface LogContext {
  requestId?: string;
  socketId?: string;
}

const contexts = new AsyncLocalStorage<LogContext>();

/**
 * Where lines go. Swappable, so the one logger every module imports can be pointed at a pretty
 * printer, or at a test's buffer, once the configuration is known.
 */
let sink: DestinationStream = pino.destination({ dest: 1, sync: true });
const forwarder: DestinationStream = { write: (line: string) => sink.write(line) };

const options: LoggerOptions = {
  level: 'info',
  base: { pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
  messageKey: 'msg',
  errorKey: 'err',
  serializers: { err: serializeError, req: stdSerializers.req },
  // Values under these keys never reach a line, whatever a caller passes.
  redact: {
    paths: [
      'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
      'headers.cookie', '*.headers.cookie', 'connectionParams', '*.connectionParams',
      'secret', '*.secret', 'signingSecret', '*.signingSecret', 'password', '*.password',
      'apiKey', '*.apiKey', 'adminKey', '*.adminKey', 'databaseUrl', '*.databaseUrl',
      'payload', '*.payload', 'responseExcerpt', '*.responseExcerpt',
    ],
    censor: '[redacted]',
  },
  // A copy: pino merges each line's fields into what the mixin returns.
  mixin: () => ({ ...contexts.getStore() }),
  // The last line of defence: key- and secret-shaped text anywhere in a line is masked.
  hooks: { streamWrite: redactSecrets },
};

/**
 * The process's logger: pino JSON lines (pretty on a terminal once `configureLogging` has run).
 * Take a child with `logger.child({ component: 'worker' })` for a part of the process.
 */
export const logger: Logger = pino(options, forwarder);

/**
 * The few lines a person starting Switchyard must see whatever the log level: where it listens,
 * that it is ready, that it stopped. Same sink and format as every other line.
 */
const announcer: Logger = pino(options, forwarder);

/**
 * Writes the one line that carries a secret on purpose (the admin key made at the first start):
 * the same sink and format, without the secret masking. Used for nothing else.
 */
const unmasked: Logger = pino({ ...options, hooks: {} }, forwarder);

/** Logs `message` at info whatever the configured level (see `announcer`). */
export function announce(message: string, component = 'switchyard'): void {
  announcer.info({ component }, message);
}

/** Shows `message` once, unmasked: for a secret the user must see and store now. */
export function announceSecret(message: string): void {
  unmasked.warn({ component: 'switchyard' }, message);
}

/** Applies the configured level and format to the process's logger. */
export function configureLogging(settings: { logLevel: LogLevel; logFormat: LogFormat }, stdoutIsTerminal = Boolean(process.stdout.isTTY)): void {
  logger.level = settings.logLevel;
  announcer.level = settings.logLevel === 'silent' ? 'silent' : 'info';
  const usePretty = settings.logFormat === 'pretty' || (settings.logFormat === 'auto' && stdoutIsTerminal);
  sink = usePretty
    ? pretty({ sync: true, colorize: stdoutIsTerminal, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: 1 })
    : pino.destination({ dest: 1, sync: true });
}

/** Sends the process's log lines to `destination` instead (tests read them back). */
export function setLogDestination(destination: DestinationStream): void {
  sink = destination;
}

/** Runs `work` with `context` added to every line logged inside it, across awaits. */
export function withLogContext<T>(context: LogContext, work: () => T): T {
  return contexts.run({ ...contexts.getStore(), ...context }, work);
}
