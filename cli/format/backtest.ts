/**
 * The backtest for people: each strategy fitted on one span and replayed on the next, side by side, with
 * what would have gone wrong (memory above the limit, i.e. OOM kills; CPU above request or limit) next to
 * what it saves. The containers that would have been killed are named, since one is enough to refuse a
 * strategy.
 */
import type { BacktestResult, ContainerBacktest } from '../../core/analysis/recommend/backtest';
import { columns, formatAmount, formatBytes, formatMoney, formatTime, markdownCell, markdownTable, plural } from './text';

type Result = BacktestResult & { requests?: number };

const HEADER = ['STRATEGY', 'MEMORY MIN ABOVE LIMIT', 'OOM-KILLED', 'CPU MIN ABOVE REQUEST', 'CPU MIN ABOVE LIMIT', 'CORES SAVED', 'GIB SAVED', 'SAVED / MONTH'];
const ALIGN = ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'] as const;

function spanLine(result: Result): string {
  const days = (span: { start: number; end: number }): string => {
    const d = (span.end - span.start) / 86_400;
    return Number.isInteger(d) ? plural(d, 'day') : `${formatAmount((span.end - span.start) / 3600)} hours`;
  };
  return (
    `fitted on ${formatTime(result.fit.start)} → ${formatTime(result.fit.end)} (${days(result.fit)}), ` +
    `replayed on ${formatTime(result.test.start)} → ${formatTime(result.test.end)} (${days(result.test)})`
  );
}

function rows(result: Result): string[][] {
  return result.strategies.map(({ strategy, totals }) => [
    strategy,
    formatAmount(totals.memoryMinutesAboveLimit, 0),
    String(totals.containersOverMemoryLimit),
    formatAmount(totals.cpuMinutesAboveRequest, 0),
    formatAmount(totals.cpuMinutesAboveLimit, 0),
    formatAmount(totals.coresSaved, 2),
    formatAmount(totals.gibSaved, 2),
    formatMoney(totals.moneySaved, result.prices.currency),
  ]);
}

function killed(result: Result): Array<[string, ContainerBacktest]> {
  return result.strategies.flatMap(({ strategy, containers }) =>
    containers.filter((c) => c.memoryPeakAboveLimit).map((c): [string, ContainerBacktest] => [strategy, c]),
  );
}

function containerName(c: ContainerBacktest): string {
  return `${c.namespace}/${c.kind}/${c.workload} ${c.container}`;
}

function killNote(c: ContainerBacktest): string {
  return `memory limit ${formatBytes(c.proposed.memoryLimit, 'none')}, ${formatAmount(c.memoryMinutesAboveLimit, 0)} min above it`;
}

function pricesLine(result: Result): string {
  const { prices } = result;
  return `Prices: ${prices.cpu} ${prices.currency} per core-hour, ${prices.memory} ${prices.currency} per GiB-hour (set --price-cpu and --price-memory to yours)`;
}

export function backtestTable(result: Result): string {
  const lines = [`Backtest, ${spanLine(result)}`, ''];
  lines.push(...columns([HEADER, ...rows(result)], ALIGN));
  const kills = killed(result);
  if (kills.length > 0) {
    lines.push('', 'WOULD HAVE BEEN OOM-KILLED');
    lines.push(...columns(kills.map(([strategy, c]) => [strategy, containerName(c), killNote(c)])).map((line) => `  ${line}`));
  }
  lines.push('', pricesLine(result));
  if (result.unmatched.length > 0) {
    lines.push(`not replayed (seen in one span only): ${result.unmatched.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

export function backtestMarkdown(result: Result): string {
  const lines = ['## Headroom backtest', '', `${spanLine(result)}.`, ''];
  const header = ['strategy', 'memory min above limit', 'OOM-killed', 'CPU min above request', 'CPU min above limit', 'cores saved', 'GiB saved', 'saved per month'];
  lines.push(...markdownTable(header, rows(result).map((row) => row.map(markdownCell)), ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right']));
  const kills = killed(result);
  if (kills.length > 0) {
    lines.push('', '### Would have been OOM-killed', '');
    lines.push(...markdownTable(['strategy', 'container', 'what'], kills.map(([strategy, c]) => [strategy, markdownCell(containerName(c)), markdownCell(killNote(c))])));
  }
  lines.push('', `${markdownCell(pricesLine(result))}.`);
  if (result.unmatched.length > 0) lines.push('', `Not replayed (seen in one span only): ${markdownCell(result.unmatched.join(', '))}.`);
  return `${lines.join('\n')}\n`;
}
