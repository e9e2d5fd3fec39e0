import type { Evidence, TargetRef } from '../../core/api/report';
import type { AnalysisContext, HpaFacts, Timeline, WorkloadFacts } from '../../core/analysis/context';
import type { ServiceAnalysis } from '../../core/analysis/services';
import type { RangePoint } from '../../core/prometheus/query-api';

/**
 * Small pure helpers the rules share: reading timelines, finding the workload or service a target
 * names, spotting degraded periods and spikes, and writing numbers the way findings show them.
 * Rules may import `core` types only, so shared logic lives here, beside them.
 */

export function values(t: Timeline | null | undefined): number[] {
  return (t?.points ?? []).map((p) => p.value).filter((v): v is number => v !== null && Number.isFinite(v));
}

export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? null;
}

export function quantileOf(t: Timeline | null | undefined, q: number): number | null {
  return quantile([...values(t)].sort((a, b) => a - b), q);
}

export function maxOf(t: Timeline | null | undefined): number | null {
  const v = values(t);
  return v.length > 0 ? Math.max(...v) : null;
}

export function lastOf(t: Timeline | null | undefined): number | null {
  const points = (t?.points ?? []).filter((p) => p.value !== null);
  return points.length > 0 ? (points[points.length - 1] as RangePoint).value : null;
}

/** Pairs two timelines by timestamp (they come from range queries with the same step). */
export function aligned(a: Timeline | null | undefined, b: Timeline | null | undefined): Array<{ time: number; a: number; b: number }> {
  if (!a || !b) return [];
  const other = new Map(b.points.map((p) => [p.time, p.value]));
  const out: Array<{ time: number; a: number; b: number }> = [];
  for (const p of a.points) {
    const v = other.get(p.time);
    if (p.value !== null && v !== null && v !== undefined) out.push({ time: p.time, a: p.value, b: v });
  }
  return out;
}

/** Minutes a timeline spends at or above `threshold`. */
export function minutesAtOrAbove(t: Timeline | null | undefined, threshold: number): number {
  if (!t) return 0;
  return (t.points.filter((p) => p.value !== null && p.value >= threshold).length * t.step) / 60;
}

/**
 * Steps where latency is degraded: p99 at least `factor` times the workload's own typical p99 (the
 * median over the window) and above `floor` seconds, so a fast service's noise does not count.
 */
export function degradedTimes(p99: Timeline | null | undefined, factor = 2, floor = 0.05): Set<number> {
  const median = quantileOf(p99, 0.5);
  if (median === null) return new Set();
  const bar = Math.max(median * factor, floor);
  return new Set((p99?.points ?? []).filter((p) => p.value !== null && p.value >= bar).map((p) => p.time));
}

/**
 * Spikes: steps where a series exceeds `factor` times its median (and `floor` absolute), the way a
 * person scanning a chart would call them.
 */
export function spikeTimes(t: Timeline | null | undefined, factor: number, floor = 0): Set<number> {
  const median = quantileOf(t, 0.5);
  if (median === null) return new Set();
  const bar = Math.max(median * factor, floor);
  return new Set((t?.points ?? []).filter((p) => p.value !== null && p.value > bar).map((p) => p.time));
}

/** Groups consecutive timestamps (one step apart) into episodes. */
export function episodes(times: ReadonlySet<number>, step: number): Array<{ start: number; end: number }> {
  const sorted = [...times].sort((a, b) => a - b);
  const out: Array<{ start: number; end: number }> = [];
  for (const t of sorted) {
    const last = out[out.length - 1];
    if (last && t - last.end <= step * 1.5) last.end = t;
    else out.push({ start: t, end: t });
  }
  return out;
}

export function serviceOf(context: AnalysisContext, namespace: string, name: string): ServiceAnalysis | undefined {
  return context.services.find((s) => s.report.namespace === namespace && s.report.name === name);
}

/**
 * One of a service's RED timelines (p99 seconds, requests/s, error ratio) in the `Timeline` shape the
 * other helpers take. The RED collector keeps no query text with these timelines, so `query` is empty:
 * never use it as evidence. Shared by the HPA rules (hpa-cpu-misuse, hpa-maxed-out, hpa-flapping);
 * other rules that rebuild this inline can use it.
 */
export function serviceTimeline(service: ServiceAnalysis | undefined, which: 'p99' | 'rps' | 'errorRatio'): Timeline | null {
  const points = service?.facts.timeline[which] ?? [];
  return service && points.length > 0 ? { points, step: service.facts.timeline.step, query: '' } : null;
}

export function workloadOf(context: AnalysisContext, namespace: string, name: string): WorkloadFacts | undefined {
  return context.workloads.find((w) => w.key.namespace === namespace && w.key.workload === name);
}

export function hpaFor(context: AnalysisContext, namespace: string, kind: string, name: string): HpaFacts | undefined {
  return context.hpas.find((h) => h.namespace === namespace && h.target?.kind === kind && h.target.name === name);
}

export function workloadTarget(w: WorkloadFacts): TargetRef {
  return { namespace: w.key.namespace, kind: w.key.workloadType, name: w.key.workload };
}

export function hpaTarget(h: HpaFacts): TargetRef {
  return { namespace: h.namespace, kind: 'HorizontalPodAutoscaler', name: h.name };
}

export function evidence(label: string, query: string, value: number | null, unit?: string, series?: Timeline | null): Evidence {
  const out: Evidence = { label, query, value: value !== null && Number.isFinite(value) ? value : null };
  if (unit) out.unit = unit;
  const first = series?.points[0];
  const last = series?.points[series.points.length - 1];
  if (series && first && last) out.series = { query: series.query, start: first.time, end: last.time, step: series.step };
  return out;
}

// --- how numbers read in summaries -------------------------------------------------------------

export function percent(ratio: number | null, digits = 0): string {
  return ratio === null ? 'n/a' : `${(ratio * 100).toFixed(digits)} %`;
}

export function cores(value: number | null): string {
  if (value === null) return 'n/a';
  return value < 1 ? `${Math.round(value * 1000)}m` : `${Number(value.toFixed(2))} cores`;
}

export function bytes(value: number | null): string {
  if (value === null) return 'n/a';
  const gib = value / 1024 ** 3;
  return gib >= 1 ? `${Number(gib.toFixed(2))} GiB` : `${Math.round(value / 1024 ** 2)} MiB`;
}

export function seconds(value: number | null): string {
  if (value === null) return 'n/a';
  if (value < 1) return `${Math.round(value * 1000)} ms`;
  if (value < 120) return `${Number(value.toFixed(1))} s`;
  if (value < 7200) return `${Math.round(value / 60)} min`;
  return `${Number((value / 3600).toFixed(1))} h`;
}

/**
 * A span of time as people say it: `seconds()` up to two days, then days ("7 days", "2.5 days").
 * Used by cpu-throttling, memory-pressure and overprovisioned for windows and time spent near a limit.
 */
export function span(value: number | null): string {
  if (value === null || value < 2 * 86400) return seconds(value);
  return `${Number((value / 86400).toFixed(1))} days`;
}
