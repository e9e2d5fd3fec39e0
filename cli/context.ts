/**
 * What a command may touch besides its flags: the two output streams, the environment, the clock and the
 * cancellation signal. main.ts builds it from the process; tests build their own.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './errors';
import type { Environment } from './flags';
import type { ProgressSink } from './progress';

export interface CliContext {
  /** The result, and nothing else. */
  stdout: { write(text: string): void; readonly isTTY: boolean; readonly columns?: number };
  /** Progress, warnings and errors. */
  stderr: ProgressSink;
  env: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
  /** Unix seconds. */
  now: () => number;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}

/** Width to wrap text at: the terminal's, else a width that reads well in logs and files. */
export function outputWidth(context: CliContext): number {
  return context.stdout.isTTY && context.stdout.columns ? Math.max(60, context.stdout.columns) : 100;
}

export function environmentOf(context: CliContext): Environment {
  return {
    env: context.env,
    readText: (path, flag) => {
      try {
        return readFileSync(path, 'utf8');
      } catch (error) {
        throw new UsageError(`${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
      }
    },
  };
}
