import type { BurnWindowId, ServiceReport } from '../api/report';
import { histogramQuantile, type QuantileOutcome } from './histogram';
import type { RedFacts } from './red';
import { computeSlo, objectivesFor, type SloFile } from './slo';

/**
 * From per-family RED facts to one service entry per workload, as the report contract has it. A
 * workload seen by several families (its own library and the mesh, say) is described by the one
 * closest to the application (lowest rank); the others are named in its notes.
 */
export const LOW_TRAFFIC_RPS = 0.1;

export interface ServiceAnalysis {
  report: ServiceReport;
  facts: RedFacts;
  /** Latency objective results, when one is configured. */
  latencySlo: ReturnType<typeof computeSlo> | null;
  /**
   * Pasteable PromQL of this workload's error ratio per burn window and over its SLO period, for
   * services whose SLO alerts or whose budget is spent (the ones a finding will cite); empty otherwise.
   */
  burnQueries: Partial<Record<BurnWindowId | 'period', string>>;
}

function pick(facts: readonly RedFacts[]): Map<string, { chosen: RedFacts; others: RedFacts[] }> {
  const byWorkload = new Map<string, RedFacts[]>();
  for (const f of facts) {
    const k = `${f.key.namespace}/${f.key.workload}`;
    byWorkload.set(k, [...(byWorkload.get(k) ?? []), f]);
  }
  const out = new Map<string, { chosen: RedFacts; others: RedFacts[] }>();
  for (const [k, list] of byWorkload) {
    const sorted = [...list].sort((a, b) => a.family.family.rank - b.family.family.rank || b.requests - a.requests);
    out.set(k, { chosen: sorted[0] as RedFacts, others: sorted.slice(1) });
  }
  return out;
}

function quantile(q: number, f: RedFacts, notes: string[], label: string): QuantileOutcome {
  // No `_bucket` series in the store (Spring without percentiles-histogram), or none for this workload
  // (one gRPC server without the opt-in histogram next to others with it): say so, not "no +Inf bucket".
  const outcome: QuantileOutcome =
    f.family.hasBuckets && f.buckets.length > 0 ? histogramQuantile(q, f.buckets) : { ok: false, reason: `no histogram buckets (${f.family.family.histogram}_bucket)` };
  if (!outcome.ok) notes.push(`${label}: ${outcome.reason}`);
  return outcome;
}

export function assembleServices(facts: readonly RedFacts[], slo: SloFile | null, windowSeconds: number, historySeconds: number | null): ServiceAnalysis[] {
  const out: ServiceAnalysis[] = [];
  for (const { chosen: f, others } of pick(facts).values()) {
    const notes: string[] = [];
    if (others.length > 0) notes.push(`also measured by ${others.map((o) => o.family.family.title).join(', ')}; numbers come from ${f.family.family.title}`);
    const rps = f.requests / windowSeconds;
    const lowTraffic = rps < LOW_TRAFFIC_RPS;
    if (lowTraffic) notes.push(`low traffic (${rps.toFixed(3)} requests/s): percentiles and error ratios rest on few requests`);
    const errorRatio = f.errors === null ? null : f.requests > 0 ? Math.min(1, Math.max(0, f.errors / f.requests)) : null;
    if (f.errors === null) notes.push(`${f.family.family.title} series carry no status label: error ratio unknown`);
    else if (f.requests <= 0) notes.push('no requests in the window: error ratio unknown');
    const p50 = quantile(0.5, f, notes, 'p50');
    const p95 = quantile(0.95, f, notes, 'p95');
    const p99 = quantile(0.99, f, notes, 'p99');
    if (p99.ok && p99.estimate.bucket[1] === null) notes.push(`p99 lies above the highest finite bucket (${p99.estimate.bucket[0]} s): the true value is unknown, only that it is larger`);
    const objectives = objectivesFor(slo, f.key.namespace, f.key.workload);
    const history = historySeconds;
    const availability = computeSlo(objectives.availability, objectives.periodSeconds, f.windows, f.periods.get(objectives.periodSeconds) ?? null, history);
    notes.push(...availability.notes);
    let latencySlo: ServiceAnalysis['latencySlo'] = null;
    if (objectives.latency) {
      const measured = f.latencyWindows.get(objectives.latency.threshold);
      if (!measured) {
        const bounds = [...new Set(f.buckets.map((b) => b.le))].filter(Number.isFinite).sort((a, b) => a - b);
        notes.push(`latency objective threshold ${objectives.latency.threshold} s is not a bucket bound of this histogram (bounds: ${bounds.join(', ')} s); pick one of those`);
      } else {
        latencySlo = computeSlo(objectives.latency.objective, objectives.periodSeconds, measured.windows, measured.periods.get(objectives.periodSeconds) ?? null, history);
      }
    }
    const value = (o: QuantileOutcome): number | null => (o.ok ? o.estimate.value : null);
    out.push({
      facts: f,
      latencySlo,
      burnQueries: {},
      report: {
        namespace: f.key.namespace,
        name: f.key.workload,
        kind: f.key.workloadType,
        rps,
        errorRatio,
        latency: { p50: value(p50), p95: value(p95), p99: value(p99), p99Bucket: p99.ok ? p99.estimate.bucket : null },
        slo: availability.status,
        instrumentation: f.family.family.id,
        requests: f.requests,
        lowTraffic,
        notes,
      },
    });
  }
  return out.sort((a, b) => `${a.report.namespace}/${a.report.name}`.localeCompare(`${b.report.namespace}/${b.report.name}`));
}
