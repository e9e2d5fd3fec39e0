/**
 * How the CLI ends: exit codes and the errors the CLI itself throws. Kept free of core imports so that
 * `--help` and usage errors start fast; failure.ts maps every error to its exit code and line.
 */
export const EXIT = {
  ok: 0,
  /** Usage, connection, response and input errors. */
  failed: 2,
  /** The `--fail-on` threshold was met. */
  threshold: 3,
  /** Interrupted (Ctrl-C): 128 + SIGINT, as shells report it. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A flag or argument the CLI itself refused; the command's help follows the line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Something the user can fix that is not a flag: an output folder that is not empty, a file that cannot be written. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** The run was cancelled by the user (Ctrl-C). */
export class InterruptedError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'InterruptedError';
  }
}

/** Whitespace and line breaks folded, so a multi-line message from a library stays one line. */
export function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line === '' ? 'failed without a message' : line;
}
