/**
 * `headroom`, the headless command line (`npm run --silent cli -- <command>`): a composition root like
 * electron/, which builds core's requests from flags and prints what core returns. See program.ts for the
 * commands and docs/cli.md for how to use them.
 *
 * This file binds the CLI to the process: stdout and stderr, the environment, and Ctrl-C, which cancels the
 * query in flight and ends the run with 130 (a second Ctrl-C, or a run that does not stop within a few
 * seconds, ends it at once).
 */
import type { CliContext } from './context';
import { EXIT } from './errors';
import { runCli } from './program';

const controller = new AbortController();
process.on('SIGINT', () => {
  if (controller.signal.aborted) process.exit(EXIT.interrupted);
  controller.abort();
  setTimeout(() => process.exit(EXIT.interrupted), 3_000).unref();
});

const context: CliContext = {
  stdout: {
    write: (text) => void process.stdout.write(text),
    get isTTY() {
      return process.stdout.isTTY === true;
    },
    get columns() {
      return process.stdout.columns;
    },
  },
  stderr: {
    write: (text) => void process.stderr.write(text),
    get isTTY() {
      return process.stderr.isTTY === true;
    },
    get columns() {
      return process.stderr.columns;
    },
  },
  env: process.env,
  platform: process.platform,
  now: () => Date.now() / 1000,
  signal: controller.signal,
};

// `headroom analyze --format json | head` closes stdout early: that ends the run, quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
});

let code: number;
try {
  code = await runCli(process.argv.slice(2), context);
} catch (error) {
  const { describeFailure } = await import('./failure');
  const failure = describeFailure(error, { debug: process.env.HEADROOM_DEBUG === '1', interrupted: controller.signal.aborted });
  process.stderr.write(`headroom: ${failure.line}\n${failure.stack ? `${failure.stack}\n` : ''}`);
  code = failure.code;
}
// Exit once both streams are flushed (pipes are asynchronous on some platforms), without waiting for idle
// sockets or timers that a cancelled request may leave behind.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write('', () => resolve()))));
process.exit(code);
