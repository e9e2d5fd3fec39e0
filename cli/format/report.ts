/**
 * The report for people: `table` for a terminal at 3 a.m. (what pages, what is wrong, what to change, in
 * that order), `markdown` for a pull-request comment. Both are pure functions of the report; `--format json`
 * prints the report itself.
 */
import type { Finding, Recommendation, Report, ServiceReport, Severity } from '../../core/api/report';
import { manifestSummary, resourceChange, targetName } from './recommendations';
import {
  columns,
  formatBucket,
  formatBurn,
  formatLatency,
  formatPercent,
  formatRate,
  formatTime,
  markdownCell,
  markdownCode,
  markdownTable,
  plural,
  wrap,
} from './text';

export interface TableOptions {
  /** Columns to wrap long text at. */
  width: number;
}

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
const ALERT_ORDER = { page: 0, ticket: 1, none: 2 } as const;

/** Critical first; within a severity by rule, then target, so two runs list findings in the same order. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      a.rule.localeCompare(b.rule) ||
      targetName(a.target).localeCompare(targetName(b.target)),
  );
}

/** Paging services first, then ticketing ones, then the rest by namespace and name. */
export function sortServices(services: readonly ServiceReport[]): ServiceReport[] {
  return [...services].sort(
    (a, b) =>
      ALERT_ORDER[a.slo.alert] - ALERT_ORDER[b.slo.alert] ||
      a.namespace.localeCompare(b.namespace) ||
      a.name.localeCompare(b.name),
  );
}

/** "4 critical, 11 warning, 1 info" over the unsilenced findings. */
export function severityCounts(findings: readonly Finding[]): string {
  const active = findings.filter((finding) => !finding.silenced);
  const counts = (['critical', 'warning', 'info'] as const).map((severity) => `${active.filter((f) => f.severity === severity).length} ${severity}`);
  return counts.join(', ');
}

function windowLine(report: Report): string {
  const days = (report.window.end - report.window.start) / 86_400;
  const span = Number.isInteger(days) ? plural(days, 'day') : `${Number(((report.window.end - report.window.start) / 3600).toFixed(1))} hours`;
  return `${formatTime(report.window.start)} → ${formatTime(report.window.end)} (${span})`;
}

/** "PAGE: burn 1h 90×, budget -37%", "ticket: burn 6h 8×, budget 12%", "ok, budget 76%". */
export function sloCell(service: ServiceReport): string {
  const { slo } = service;
  const budget = `budget ${formatPercent(slo.errorBudgetRemaining)}`;
  if (slo.alert === 'none') return `ok, ${budget}`;
  const windows = slo.alert === 'page' ? (['5m', '1h'] as const) : (['30m', '6h'] as const);
  const burns = windows.map((w) => `${w} ${formatBurn(slo.burnRates[w])}`).join(' ');
  return `${slo.alert === 'page' ? 'PAGE' : 'TICKET'}: burn ${burns}, ${budget}`;
}

function serviceName(service: ServiceReport): string {
  return `${service.namespace}/${service.name}${service.kind === 'Deployment' ? '' : ` (${service.kind})`}`;
}

function silenceNote(finding: Finding): string {
  const silence = finding.silenced;
  return silence ? `silenced until ${formatTime(silence.expiresAt)}: ${silence.reason}` : '';
}

function fixNote(finding: Finding, recommendations: readonly Recommendation[]): string | null {
  const index = finding.recommendation;
  if (index === undefined || index === null) return null;
  const recommendation = recommendations[index];
  return recommendation ? `fix: ${recommendation.kind} for ${targetName(recommendation.target)} (recommendation ${index + 1})` : null;
}

export function reportTable(report: Report, options: TableOptions): string {
  const lines: string[] = [];
  const active = sortFindings(report.findings.filter((finding) => !finding.silenced));
  const silenced = sortFindings(report.findings.filter((finding) => finding.silenced));
  lines.push(`Headroom report, ${windowLine(report)}`);
  lines.push(
    `${plural(report.services.length, 'service')} · findings: ${severityCounts(report.findings)}` +
      `${silenced.length > 0 ? ` (+${silenced.length} silenced)` : ''} · ${plural(report.recommendations.length, 'recommendation')}`,
  );

  lines.push('', 'SERVICES');
  if (report.services.length === 0) {
    lines.push('  none found: no HTTP server metrics matched (see warnings below)');
  } else {
    const rows = sortServices(report.services).map((service) => [
      serviceName(service) + (service.lowTraffic ? ' *' : ''),
      formatRate(service.rps),
      formatPercent(service.errorRatio),
      formatLatency(service.latency.p99),
      formatBucket(service.latency.p99Bucket),
      sloCell(service),
    ]);
    const table = columns([['SERVICE', 'RPS', 'ERRORS', 'P99', 'P99 BUCKET', 'SLO'], ...rows], ['left', 'right', 'right', 'right', 'left', 'left']);
    lines.push(...table.map((line) => `  ${line}`));
    if (report.services.some((service) => service.lowTraffic)) {
      lines.push('  * low traffic: percentiles and error ratios rest on few requests');
    }
  }

  lines.push('', 'FINDINGS');
  if (active.length === 0) lines.push('  none');
  for (const finding of active) {
    lines.push(`  ${finding.severity.toUpperCase().padEnd(8)}  ${finding.rule}  ${targetName(finding.target)}`);
    lines.push(...wrap(finding.summary, options.width, ' '.repeat(12)));
    const fix = fixNote(finding, report.recommendations);
    if (fix) lines.push(`${' '.repeat(12)}${fix}`);
  }
  if (silenced.length > 0) {
    lines.push('', 'SILENCED');
    for (const finding of silenced) {
      lines.push(`  ${finding.severity.padEnd(8)}  ${finding.rule}  ${targetName(finding.target)}`);
      lines.push(...wrap(silenceNote(finding), options.width, ' '.repeat(12)));
    }
  }

  const resources = report.recommendations.map((r, i) => [r, i] as const).filter(([r]) => r.kind === 'resources');
  const objects = report.recommendations.map((r, i) => [r, i] as const).filter(([r]) => r.kind !== 'resources');
  lines.push('', 'RECOMMENDATIONS');
  if (report.recommendations.length === 0) lines.push('  none');
  if (resources.length > 0) {
    const rows = resources.map(([r, i]) => {
      const change = resourceChange(r);
      return [
        String(i + 1),
        `${r.target.namespace}/${r.target.name}`,
        r.container,
        change.cpuRequest,
        change.cpuLimit,
        change.memoryRequest,
        change.memoryLimit,
        r.confidence === undefined ? '' : formatPercent(r.confidence),
      ];
    });
    const header = ['#', 'WORKLOAD', 'CONTAINER', 'CPU REQUEST', 'CPU LIMIT', 'MEMORY REQUEST', 'MEMORY LIMIT', 'CONFIDENCE'];
    lines.push(...columns([header, ...rows], ['right']).map((line) => `  ${line}`));
  }
  if (objects.length > 0) {
    if (resources.length > 0) lines.push('');
    const rows = objects.map(([r, i]) => [String(i + 1), r.kind.toUpperCase(), `${r.target.namespace}/${r.target.name}`, manifestSummary(r)]);
    lines.push(...columns([['#', 'KIND', 'WORKLOAD', 'PROPOSAL'], ...rows], ['right']).map((line) => `  ${line}`));
  }

  const warnings = report.warnings ?? [];
  if (warnings.length > 0) {
    lines.push('', 'WARNINGS');
    for (const warning of warnings) lines.push(...wrap(warning, options.width, '  ').map((line, i) => (i === 0 ? `- ${line.slice(2)}` : line)));
  }
  const notEvaluated = report.notEvaluated ?? [];
  if (notEvaluated.length > 0) {
    lines.push('', `${plural(notEvaluated.length, 'rule check')} could not run for lack of data; --format json lists what each lacked.`);
  }
  return `${lines.join('\n')}\n`;
}

export function reportMarkdown(report: Report): string {
  const lines: string[] = [];
  const active = sortFindings(report.findings.filter((finding) => !finding.silenced));
  const silenced = sortFindings(report.findings.filter((finding) => finding.silenced));
  lines.push(`## Headroom: ${severityCounts(report.findings)}`, '');
  lines.push(
    `${windowLine(report)} · ${plural(report.services.length, 'service')} · ${plural(report.recommendations.length, 'recommendation')}` +
      (silenced.length > 0 ? ` · ${silenced.length} silenced` : ''),
  );

  lines.push('', '### Findings', '');
  if (active.length === 0) {
    lines.push('None.');
  } else {
    const rows = active.map((f) => [`**${f.severity}**`, markdownCode(f.rule), markdownCell(targetName(f.target)), markdownCell(f.summary)]);
    lines.push(...markdownTable(['severity', 'rule', 'target', 'summary'], rows));
  }
  if (silenced.length > 0) {
    lines.push('', `<details><summary>${plural(silenced.length, 'silenced finding')}</summary>`, '');
    const rows = silenced.map((f) => [f.severity, markdownCode(f.rule), markdownCell(targetName(f.target)), markdownCell(silenceNote(f))]);
    lines.push(...markdownTable(['severity', 'rule', 'target', 'silence'], rows), '', '</details>');
  }

  lines.push('', '### Services', '');
  if (report.services.length === 0) {
    lines.push('None found.');
  } else {
    const rows = sortServices(report.services).map((s) => [
      markdownCell(serviceName(s)) + (s.lowTraffic ? ' (low traffic)' : ''),
      formatRate(s.rps),
      formatPercent(s.errorRatio),
      formatLatency(s.latency.p99),
      markdownCell(formatBucket(s.latency.p99Bucket)),
      markdownCell(sloCell(s)),
    ]);
    lines.push(...markdownTable(['service', 'rps', 'errors', 'p99', 'p99 bucket', 'SLO'], rows, ['left', 'right', 'right', 'right']));
  }

  lines.push('', '### Recommendations', '');
  if (report.recommendations.length === 0) {
    lines.push('None.');
  } else {
    const rows = report.recommendations.map((r, i) => [
      String(i + 1),
      r.kind,
      markdownCell(`${r.target.namespace}/${r.target.kind}/${r.target.name}`),
      markdownCell(r.container),
      markdownCell(r.kind === 'resources' ? resourceSummary(r) : manifestSummary(r)),
      r.confidence === undefined ? '' : formatPercent(r.confidence),
    ]);
    lines.push(...markdownTable(['#', 'kind', 'target', 'container', 'change', 'confidence'], rows, ['right']));
  }

  const warnings = report.warnings ?? [];
  if (warnings.length > 0) {
    lines.push('', '<details><summary>Warnings</summary>', '', ...warnings.map((w) => `- ${markdownCell(w)}`), '', '</details>');
  }
  return `${lines.join('\n')}\n`;
}

function resourceSummary(recommendation: Recommendation): string {
  const change = resourceChange(recommendation);
  return `cpu ${change.cpuRequest} (limit ${change.cpuLimit}), memory ${change.memoryRequest} (limit ${change.memoryLimit})`;
}
