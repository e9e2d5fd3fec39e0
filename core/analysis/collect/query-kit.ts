import { escapeLabelValue, type Matcher } from '../../prometheus/promql';
import type { InstantSample, QueryApi, RangeSeries } from '../../prometheus/query-api';
import { attachWorkload, type WorkloadJoin } from '../../prometheus/workloads';
import type { Timeline } from '../context';

/**
 * Shared plumbing for the collectors: "parts" (named per-pod expressions) unioned into one request
 * and joined to the pod→workload map once, split only when a query would exceed what stores accept
 * (VictoriaMetrics: 16 KiB by default). The number of requests depends on the parts, never on the
 * size of the fleet.
 */
export const PART = 'headroom_part';
export const MAX_QUERY_LENGTH = 12_000;

export interface PodPart {
  part: string;
  /** An expression whose series carry `namespace` and `pod` (and whatever `by` keeps). */
  expr: string;
  /** How far back pods must be mapped to workloads for this part. */
  lookbackSeconds: number;
}

export const tagged = (expr: string, part: string): string => `label_replace(${expr}, "${PART}", "${escapeLabelValue(part)}", "", "")`;

/**
 * `aggregate` decides how pods combine: `sum`/`max` by the workload labels plus `by`, or `none` to keep
 * one row per pod (labelled with its workload) for client-side pooling.
 */
export function joinedQuery(parts: readonly PodPart[], join: Omit<WorkloadJoin, 'lookbackSeconds'>, aggregate: 'sum' | 'max' | 'none', by: readonly string[] = []): string {
  const lookbackSeconds = Math.max(...parts.map((p) => p.lookbackSeconds));
  const union = parts.map((p) => tagged(p.expr, p.part)).join(' or ');
  const joined = attachWorkload(union, { ...join, lookbackSeconds });
  if (aggregate === 'none') return joined;
  return `${aggregate} by (${['namespace', 'workload', 'workload_type', ...by, PART].join(', ')}) (${joined})`;
}

/** The same, split into as few queries as fit the length limit. */
export function joinedQueries(parts: readonly PodPart[], join: Omit<WorkloadJoin, 'lookbackSeconds'>, aggregate: 'sum' | 'max' | 'none', by: readonly string[] = []): string[] {
  const out: string[] = [];
  let batch: PodPart[] = [];
  for (const part of parts) {
    const candidate = [...batch, part];
    if (batch.length > 0 && joinedQuery(candidate, join, aggregate, by).length > MAX_QUERY_LENGTH) {
      out.push(joinedQuery(batch, join, aggregate, by));
      batch = [part];
    } else {
      batch = candidate;
    }
  }
  if (batch.length > 0) out.push(joinedQuery(batch, join, aggregate, by));
  return out;
}

/** Runs queries one after another (stores are shared; Headroom should not hammer them) and keeps warnings. */
export class QueryRunner {
  readonly warnings: string[] = [];

  constructor(
    private readonly api: QueryApi,
    private readonly window: { start: number; end: number },
    private readonly signal?: AbortSignal,
  ) {}

  async instant(queries: readonly string[]): Promise<InstantSample[]> {
    const out: InstantSample[] = [];
    for (const q of queries) {
      const result = await this.api.instant(q, this.window.end, this.signal);
      this.warnings.push(...result.warnings);
      out.push(...result.data);
    }
    return out;
  }

  async range(queries: readonly string[], step: number, start = this.window.start + step): Promise<RangeSeries[]> {
    const out: RangeSeries[] = [];
    for (const q of queries) {
      const result = await this.api.range(q, start, this.window.end, step, this.signal);
      this.warnings.push(...result.warnings);
      out.push(...result.data);
    }
    return out;
  }
}

export const keyOf = (labels: Readonly<Record<string, string>>, extra: readonly string[] = []): string =>
  [labels.namespace ?? '', labels.workload ?? '', labels.workload_type ?? '', ...extra.map((e) => labels[e] ?? '')].join('\u0000');

export function timelineOf(series: RangeSeries | undefined, step: number, query: string): Timeline | null {
  return series ? { points: series.points, step, query } : null;
}

/** Divides two timelines point by point; null where the denominator is zero or missing. */
export function ratioTimeline(numerator: Timeline | null, denominator: Timeline | null, query: string): Timeline | null {
  if (!numerator || !denominator) return null;
  const below = new Map(denominator.points.map((p) => [p.time, p.value]));
  return {
    step: numerator.step,
    query,
    points: numerator.points.map((p) => {
      const d = below.get(p.time);
      return { time: p.time, value: p.value !== null && d !== null && d !== undefined && d > 0 ? p.value / d : null };
    }),
  };
}

export function withGlobal(matchers: readonly Matcher[], global: readonly Matcher[]): Matcher[] {
  return [...matchers, ...global];
}
