/** `backtest`: flags → core's backtest request → runBacktest → the per-strategy comparison. */
import { runBacktest } from '../../core/api/operations';
import { environmentOf, type CliContext } from '../context';
import { EXIT, InterruptedError, type ExitCode } from '../errors';
import { backtestMarkdown, backtestTable } from '../format/backtest';
import { createProgress } from '../progress';
import { backtestRequestFrom, type BacktestFlags } from '../requests';

export interface BacktestCommandFlags extends BacktestFlags {
  format: 'json' | 'table' | 'markdown';
  quiet?: boolean;
}

export async function backtestCommand(flags: BacktestCommandFlags, context: CliContext): Promise<ExitCode> {
  const request = backtestRequestFrom(flags, environmentOf(context), context.now());
  const progress = createProgress(context.stderr, { expectedSteps: 3, quiet: flags.quiet === true });
  let result: Awaited<ReturnType<typeof runBacktest>>;
  try {
    result = await runBacktest(request, { onProgress: (step) => progress.step(step), signal: context.signal });
    if (context.signal.aborted) throw new InterruptedError();
  } finally {
    progress.done();
  }
  const text =
    flags.format === 'json'
      ? `${JSON.stringify(result, null, 2)}\n`
      : flags.format === 'markdown'
        ? backtestMarkdown(result)
        : backtestTable(result);
  context.stdout.write(text);
  return EXIT.ok;
}
