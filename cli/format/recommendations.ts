/**
 * A recommendation in a few words: the resources change per container ("2 → 150m"), or what a proposed HPA
 * or PDB does ("replicas 2–8 on http_requests_per_second, 2830m per pod"). Shared by the table, the Markdown
 * and SUMMARY.md, so they say the same thing.
 */
import { parseDocument } from 'yaml';
import type { Recommendation } from '../../core/api/report';
import { parseQuantity } from '../../core/kubernetes/quantity';
import { formatAmount, formatBytes, formatCores, formatPercent } from './text';

type Format = (value: number | null, absent?: string) => string;

export interface ResourceChange {
  cpuRequest: string;
  cpuLimit: string;
  memoryRequest: string;
  memoryLimit: string;
  /** Whether anything changes at all. */
  changed: boolean;
}

/** Requests: a null proposal keeps the current one. Limits: a null proposal means none (removed if set). */
export function resourceChange(recommendation: Recommendation): ResourceChange {
  const { current, proposed } = recommendation;
  const request = (now: number | null, next: number | null, format: Format): [string, boolean] => {
    if (next === null) return [format(now, 'unset'), false];
    return arrow(format(now, 'unset'), format(next));
  };
  const limit = (now: number | null, next: number | null, format: Format): [string, boolean] =>
    arrow(format(now, 'none'), format(next, 'none'));
  const cells = [
    request(current.cpu.request, proposed.cpu.request, formatCores),
    limit(current.cpu.limit, proposed.cpu.limit, formatCores),
    request(current.memory.request, proposed.memory.request, formatBytes),
    limit(current.memory.limit, proposed.memory.limit, formatBytes),
  ] as const;
  return {
    cpuRequest: cells[0][0],
    cpuLimit: cells[1][0],
    memoryRequest: cells[2][0],
    memoryLimit: cells[3][0],
    changed: cells.some(([, changed]) => changed),
  };
}

function arrow(before: string, after: string): [string, boolean] {
  return before === after ? [before, false] : [`${before} → ${after}`, true];
}

/** The resources change on one line: "cpu request 2 → 150m, memory request 4Gi → 1Gi, memory limit none → 1Gi". */
export function resourceChangeLine(recommendation: Recommendation): string {
  const change = resourceChange(recommendation);
  const parts = [
    ['cpu request', change.cpuRequest],
    ['cpu limit', change.cpuLimit],
    ['memory request', change.memoryRequest],
    ['memory limit', change.memoryLimit],
  ].filter(([, cell]) => cell?.includes('→'));
  return parts.length === 0 ? 'no change' : parts.map(([what, cell]) => `${what} ${cell}`).join(', ');
}

/** What a proposed HPA or PDB does, read from its manifest. */
export function manifestSummary(recommendation: Recommendation): string {
  let object: unknown;
  try {
    object = parseDocument(recommendation.manifest).toJS();
  } catch {
    return 'see the manifest';
  }
  const spec = record(record(object).spec);
  if (recommendation.kind === 'pdb') {
    if (spec.maxUnavailable !== undefined) return `maxUnavailable ${String(spec.maxUnavailable)}`;
    if (spec.minAvailable !== undefined) return `minAvailable ${String(spec.minAvailable)}`;
    return 'see the manifest';
  }
  const metrics = Array.isArray(spec.metrics) ? spec.metrics.map((metric) => metricSummary(record(metric))) : [];
  const replicas = `replicas ${String(spec.minReplicas ?? 1)}–${String(spec.maxReplicas ?? '?')}`;
  return metrics.length === 0 ? replicas : `${replicas} on ${metrics.join(' and ')}`;
}

function metricSummary(metric: Record<string, unknown>): string {
  const type = String(metric.type ?? '');
  const body = record(metric[type.charAt(0).toLowerCase() + type.slice(1)]);
  const target = record(body.target);
  const name = String(record(body.metric).name ?? body.name ?? type);
  if (target.type === 'Utilization' && typeof target.averageUtilization === 'number') {
    return `${name} at ${formatPercent(target.averageUtilization / 100)} of requests`;
  }
  if (target.averageValue !== undefined) return `${name}, ${quantity(target.averageValue)} per pod`;
  if (target.value !== undefined) return `${name} at ${quantity(target.value)}`;
  return name;
}

/** "39100m" as 39.1: the manifest's quantity as a number a person reads. */
function quantity(value: unknown): string {
  const parsed = typeof value === 'string' || typeof value === 'number' ? parseQuantity(value) : null;
  return parsed === null ? String(value) : formatAmount(parsed, 3);
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** "checkout/Deployment/order", or "/Node/worker-1" for a cluster-scoped object. */
export function targetName(target: { namespace: string; kind: string; name: string }): string {
  return `${target.namespace}/${target.kind}/${target.name}`;
}
