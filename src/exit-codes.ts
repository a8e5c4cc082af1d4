/**
 * What Switchyard's exit codes mean, for scripts and supervisors; the same for `npm start` and
 * every CLI command.
 */
export const ExitCode = {
  /** Done, or stopped cleanly by a signal. */
  OK: 0,
  /** Something unexpected failed; the message or log says what. */
  FAILURE: 1,
  /** The command line or the configuration is invalid; nothing was started or changed. */
  USAGE: 2,
  /** Something needed is taken or out of reach: a port, the data directory, the database. */
  UNAVAILABLE: 3,
  /** The server refused the key: missing, unknown, revoked, or not allowed to do that. */
  REFUSED: 4,
  /** What was asked for does not exist, or is not in the key's workspace. */
  NOT_FOUND: 5,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
