/**
 * `analyze` and `recommend`: flags → core's analysis request → runAnalysis → the report printed, or the
 * manifests written. Thin on purpose: the analysis, the export and the formats live elsewhere.
 */
import { runAnalysis, type AnalysisOutcome } from '../../core/api/operations';
import { reportSchema, type Report, type Severity } from '../../core/api/report';
import { DEFAULT_PRICES, type Prices } from '../../core/export/savings';
import { ALL_RULES } from '../../rules/index';
import { environmentOf, outputWidth, type CliContext } from '../context';
import { EXIT, InterruptedError, type ExitCode } from '../errors';
import { exportFiles } from '../export';
import { reportMarkdown, reportTable } from '../format/report';
import { formatAmount, formatMoney } from '../format/text';
import { checkOutputDir, prepareOutputDir, writeOutputFiles } from '../output-dir';
import { createProgress } from '../progress';
import { analysisRequestFrom, type AnalysisFlags } from '../requests';
import { silencesAt, storePath } from '../store';

export interface AnalyzeFlags extends AnalysisFlags {
  format: 'json' | 'table' | 'markdown';
  failOn?: 'critical' | 'warning';
  store?: string;
  quiet?: boolean;
}

export interface RecommendFlags extends AnalyzeFlags {
  out: string;
  patches?: boolean;
  base: string[];
  force?: boolean;
  priceCpu?: number;
  priceMemory?: number;
  currency: string;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** Unsilenced findings at or above the threshold: what `--fail-on` counts. */
export function findingsAtOrAbove(report: Report, threshold: 'critical' | 'warning'): number {
  return report.findings.filter((finding) => !finding.silenced && RANK[finding.severity] >= RANK[threshold]).length;
}

/** The report as the contract has it; a report that does not validate is a bug, reported as one. */
export function validatedReport(report: Report): Report {
  const parsed = reportSchema.safeParse(report);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Error(`the report does not match its schema at ${issue?.path.join('.') || 'the top'}: ${issue?.message ?? 'invalid'}`);
}

async function analyse(flags: AnalyzeFlags, context: CliContext, extraSteps: number): Promise<AnalysisOutcome> {
  const request = analysisRequestFrom(flags, environmentOf(context), context.now());
  const matcher = silencesAt(storePath(flags.store, context.env, context.platform), request.window.end);
  const progress = createProgress(context.stderr, {
    expectedSteps: 6 + (request.source.kubernetes ? 1 : 0) + extraSteps,
    quiet: flags.quiet === true,
  });
  try {
    const outcome = await runAnalysis(request, {
      rules: ALL_RULES,
      ...(matcher && { silences: () => matcher }),
      onProgress: (step) => progress.step(step),
      signal: context.signal,
    });
    if (context.signal.aborted) throw new InterruptedError();
    return outcome;
  } finally {
    progress.done();
  }
}

export async function analyzeCommand(flags: AnalyzeFlags, context: CliContext): Promise<ExitCode> {
  const outcome = await analyse(flags, context, 0);
  const report = validatedReport(outcome.report);
  const text =
    flags.format === 'json'
      ? `${JSON.stringify(report, null, 2)}\n`
      : flags.format === 'markdown'
        ? reportMarkdown(report)
        : reportTable(report, { width: outputWidth(context) });
  context.stdout.write(text);
  return flags.failOn !== undefined && findingsAtOrAbove(report, flags.failOn) > 0 ? EXIT.threshold : EXIT.ok;
}

export async function recommendCommand(flags: RecommendFlags, context: CliContext): Promise<ExitCode> {
  // Refused before the analysis, not after minutes of it.
  checkOutputDir(flags.out, flags.force === true);
  const outcome = await analyse(flags, context, 1);
  const report = validatedReport(outcome.report);
  const prices: Prices =
    flags.priceCpu === undefined && flags.priceMemory === undefined && flags.currency === DEFAULT_PRICES.currency
      ? DEFAULT_PRICES
      : {
          cpuPerCoreHour: flags.priceCpu ?? DEFAULT_PRICES.cpuPerCoreHour,
          memoryPerGiBHour: flags.priceMemory ?? DEFAULT_PRICES.memoryPerGiBHour,
          currency: flags.currency,
          source: 'given with --price-cpu, --price-memory and --currency',
        };
  const { files, savings } = exportFiles(
    { ...outcome, report },
    {
      layout: flags.patches ? 'kustomize' : 'per-workload',
      bases: flags.base,
      prices,
      manifestsDir: flags.manifests ?? null,
      source: {
        metrics: `${flags.prometheus}${flags.matcher.length > 0 ? ` (${flags.matcher.join(', ')})` : ''}`,
        objects: outcome.fleet ? outcome.fleet.location : 'nowhere (metrics alone: current specs unknown, so no diffs)',
      },
    },
  );
  const root = prepareOutputDir(flags.out, flags.force === true);
  const written = writeOutputFiles(root, files);
  const { total } = savings;
  if (flags.format === 'json') {
    context.stdout.write(`${JSON.stringify({ directory: root, files: written, savings: { ...total, prices: savings.prices, notes: savings.notes } }, null, 2)}\n`);
  } else if (flags.format === 'markdown') {
    context.stdout.write(files[0]?.content ?? '');
  } else {
    const lines = [
      `Wrote ${written.length} files to ${root} (${flags.patches ? 'a kustomize overlay' : 'one file per workload'}; SUMMARY.md explains each change):`,
      ...written.map((path) => `  ${path}`),
      `Requests ${formatAmount(total.cpuCores.before, 2)} → ${formatAmount(total.cpuCores.after, 2)} cores, ` +
        `${formatAmount(total.memoryGiB.before, 2)} → ${formatAmount(total.memoryGiB.after, 2)} GiB: ` +
        `${formatMoney(total.monthlyCost.saved, savings.prices.currency)} a month saved.`,
    ];
    context.stdout.write(`${lines.join('\n')}\n`);
  }
  return EXIT.ok;
}
