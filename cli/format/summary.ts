/**
 * SUMMARY.md, written next to the manifests by `recommend --out`: what changes and why, per workload, with
 * the findings each change answers, how far to trust it, what it saves, and the diff against the current
 * spec when that is known. Written for a pull-request reviewer who did not run the analysis.
 */
import type { Finding, Recommendation, Report } from '../../core/api/report';
import type { SavingsSummary, WorkloadSavings } from '../../core/export/savings';
import { manifestSummary, resourceChangeLine, targetName } from './recommendations';
import { formatAmount, formatMoney, formatPercent, formatTime, markdownCode, markdownTable, plural } from './text';

export interface SummaryInput {
  report: Report;
  savings: SavingsSummary;
  /** Paths written, relative to the output folder. */
  files: readonly string[];
  /** Unified diffs per workload ("namespace/Kind/name"), when the current spec is known. */
  diffs: ReadonlyMap<string, string>;
  /** Where the numbers and the objects came from, one phrase each. */
  source: { metrics: string; objects: string };
  layout: 'per-workload' | 'kustomize';
}

export function summaryMarkdown(input: SummaryInput): string {
  const { report, savings } = input;
  const lines: string[] = ['# Headroom recommendations', ''];
  lines.push(
    `Analysed ${formatTime(report.window.start)} → ${formatTime(report.window.end)} from ${input.source.metrics}; ` +
      `Kubernetes objects from ${input.source.objects}. Every manifest here was validated against the Kubernetes schemas; ` +
      'nothing was applied to any cluster.',
  );

  lines.push('', '## Savings', '');
  const { total, prices } = savings;
  lines.push(
    ...markdownTable(
      ['requested', 'before', 'after', 'saved'],
      [
        ['CPU (cores)', formatAmount(total.cpuCores.before, 2), formatAmount(total.cpuCores.after, 2), formatAmount(total.cpuCores.saved, 2)],
        ['memory (GiB)', formatAmount(total.memoryGiB.before, 2), formatAmount(total.memoryGiB.after, 2), formatAmount(total.memoryGiB.saved, 2)],
        [
          'per month',
          formatMoney(total.monthlyCost.before, prices.currency),
          formatMoney(total.monthlyCost.after, prices.currency),
          formatMoney(total.monthlyCost.saved, prices.currency),
        ],
      ],
      ['left', 'right', 'right', 'right'],
    ),
  );
  lines.push(
    '',
    `Requests are what a cluster pays for. Prices: ${prices.cpuPerCoreHour} ${prices.currency} per core-hour and ` +
      `${prices.memoryPerGiBHour} ${prices.currency} per GiB-hour, ${savings.hoursPerMonth} hours a month; ${prices.source}.`,
  );
  for (const note of savings.notes) lines.push(`- ${note}`);

  lines.push('', '## Changes', '');
  const groups = groupByWorkload(report.recommendations);
  if (groups.length === 0) lines.push('Nothing to change.');
  for (const [key, recommendations] of groups) {
    lines.push(`### ${key}`, '');
    for (const [recommendation, index] of recommendations) {
      const what = recommendation.kind === 'resources' ? `container ${markdownCode(recommendation.container)}: ${resourceChangeLine(recommendation)}` : `${kindName(recommendation)}: ${manifestSummary(recommendation)}`;
      const confidence = recommendation.confidence === undefined ? '' : ` (confidence ${formatPercent(recommendation.confidence)})`;
      lines.push(`- ${what}${confidence}`);
      for (const reason of recommendation.rationale ?? []) lines.push(...rationaleLines(reason));
      for (const finding of findingsFixedBy(report.findings, index)) {
        lines.push(`  - answers ${finding.severity} ${markdownCode(finding.rule)} on ${targetName(finding.target)}`);
      }
    }
    const saved = savings.workloads.find((workload) => targetName(workload.target) === key);
    if (saved) lines.push('', savingsLine(saved, prices.currency));
    const diff = input.diffs.get(key);
    if (diff) lines.push('', '```diff', diff.trimEnd(), '```');
    lines.push('');
  }

  lines.push('## Files', '');
  lines.push(
    input.layout === 'kustomize'
      ? 'A kustomize overlay: add the folder with your current workloads to `resources:` in kustomization.yaml, then `kubectl kustomize` to review.'
      : 'One file per workload: its resources patch (`kubectl patch --type strategic --patch-file`) or full object, then its HPA and PDB.',
    '',
  );
  for (const file of input.files) lines.push(`- ${markdownCode(file)}`);
  return `${lines.join('\n')}\n`;
}

/** A reason as a nested list item; lines after the first (a prometheus-adapter rule, say) as a YAML block. */
function rationaleLines(reason: string): string[] {
  const [first = '', ...rest] = reason.split('\n');
  const block = rest.join('\n').trimEnd();
  if (block === '') return [`  - ${first}`];
  return [`  - ${first}`, '', '    ```yaml', ...block.split('\n').map((line) => `    ${line}`), '    ```'];
}

function kindName(recommendation: Recommendation): string {
  return recommendation.kind === 'hpa' ? 'HorizontalPodAutoscaler' : 'PodDisruptionBudget';
}

function groupByWorkload(recommendations: readonly Recommendation[]): Array<[string, Array<[Recommendation, number]>]> {
  const groups = new Map<string, Array<[Recommendation, number]>>();
  recommendations.forEach((recommendation, index) => {
    const key = targetName(recommendation.target);
    groups.set(key, [...(groups.get(key) ?? []), [recommendation, index]]);
  });
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

function findingsFixedBy(findings: readonly Finding[], index: number): Finding[] {
  return findings.filter((finding) => finding.recommendation === index);
}

function savingsLine(saved: WorkloadSavings, currency: string): string {
  const perPod = `per pod: ${formatAmount(saved.perPod.cpuCores.saved, 3)} cores and ${formatAmount(saved.perPod.memoryGiB.saved, 2)} GiB`;
  if (saved.total === null) return `Saves ${perPod}; the replica count is unknown (${saved.replicaNote}).`;
  return (
    `Saves ${formatAmount(saved.total.cpuCores.saved, 2)} cores, ${formatAmount(saved.total.memoryGiB.saved, 2)} GiB and ` +
    `${formatMoney(saved.total.monthlyCost.saved, currency)} a month (${perPod}, × ${plural(Number((saved.replicas ?? 0).toFixed(1)), 'replica')}: ${saved.replicaNote}).`
  );
}
