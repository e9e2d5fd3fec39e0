/**
 * What an error thrown out of a command means: its exit code and the one line on stderr. Core's errors are
 * written for the user (what happened, what to do), so their message is the line; anything else is a bug,
 * said so in one line, with the stack only under HEADROOM_DEBUG=1.
 */
import { RequestError } from '../core/api/operations';
import { SloFileError } from '../core/analysis/slo';
import { ManifestError } from '../core/export/errors';
import { KubernetesError } from '../core/kubernetes/errors';
import { PrometheusError } from '../core/prometheus/client';
import { StoreError } from '../core/store/errors';
import { CliError, EXIT, InterruptedError, oneLine, UsageError, type ExitCode } from './errors';

export interface Failure {
  code: ExitCode;
  /** One line, without the `headroom:` prefix. */
  line: string;
  /** Set for unexpected errors when debugging is on. */
  stack: string | null;
}

const EXPECTED: ReadonlyArray<new (...args: never[]) => Error> = [
  PrometheusError,
  KubernetesError,
  SloFileError,
  RequestError,
  StoreError,
  ManifestError,
  UsageError,
  CliError,
];

/** What an error thrown out of a command means for the exit code and the line on stderr. */
export function describeFailure(error: unknown, options: { debug: boolean; interrupted: boolean }): Failure {
  if (error instanceof InterruptedError || (options.interrupted && error instanceof PrometheusError && error.kind === 'cancelled')) {
    return { code: EXIT.interrupted, line: 'cancelled', stack: null };
  }
  if (error instanceof Error && EXPECTED.some((type) => error instanceof type)) {
    return { code: EXIT.failed, line: oneLine(error.message), stack: options.debug ? (error.stack ?? null) : null };
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return {
    code: EXIT.failed,
    line: `${oneLine(message)} (this is a bug; run with HEADROOM_DEBUG=1 for a stack trace)`,
    stack: options.debug && error instanceof Error ? (error.stack ?? null) : null,
  };
}

