import type { BurnWindowId } from '../api/report';
import { burnWindowIds } from '../api/report';
import type { DetectedHttpFamily, MetricCatalog } from '../prometheus/catalog';
import { duration, selector, type Matcher } from '../prometheus/promql';
import type { InstantSample, QueryApi, RangePoint, RangeSeries } from '../prometheus/query-api';
import type { WorkloadRef } from '../prometheus/workloads';
import { parseLe, type Bucket } from './histogram';
import { httpAggregateQueries, httpAggregateQuery, PART_LABEL, type AggregatePart, type HttpAggregateScope } from './http-aggregate';
import { BURN_WINDOW_SECONDS, type EventCounts } from './slo';

/**
 * Rate, errors and duration per workload for every detected HTTP family, in a handful of requests
 * per family whatever the size of the fleet:
 *  1. totals and server errors over the window, each burn window and the SLO period;
 *  2. latency buckets over the window, summed over pods by `le` (quantiles are computed from these,
 *     never averaged over pods);
 *  3. for latency objectives, the buckets at the objectives' thresholds over the same windows;
 *  4. a timeline of requests/s and errors/s, and 5. of p99, for charts and for rules that correlate;
 * plus one request for how far back the HTTP data goes.
 */
export interface WorkloadKey extends WorkloadRef {
  workloadType: string;
}

export interface RedTimeline {
  p99: RangePoint[];
  rps: RangePoint[];
  errorRatio: RangePoint[];
  step: number;
  /** The range queries behind the timelines (for evidence and charts); errorRatio divides errors by rps. */
  queries: { p99: string; rps: string };
}

export interface RedFacts {
  key: WorkloadKey;
  family: DetectedHttpFamily;
  /** Requests in the analysis window. */
  requests: number;
  /** Server errors in the window; null when the family has no status label. */
  errors: number | null;
  buckets: Bucket[];
  windows: Record<BurnWindowId, EventCounts | null>;
  /** Per SLO period (seconds). */
  periods: Map<number, EventCounts | null>;
  /** Per latency threshold (seconds): requests slower than it (bad) out of all, per window and period. */
  latencyWindows: Map<number, { windows: Record<BurnWindowId, EventCounts | null>; periods: Map<number, EventCounts | null> }>;
  timeline: RedTimeline;
}

export interface RedOptions {
  window: { start: number; end: number };
  /** The distinct SLO periods in use (seconds). */
  periods: readonly number[];
  /** Latency thresholds (seconds) asked for by objectives, per family id. */
  latencyThresholds: ReadonlyMap<string, readonly number[]>;
  global: readonly Matcher[];
  namespaces?: readonly string[];
  timelineStep: number;
  signal?: AbortSignal;
}

export interface RedResult {
  facts: RedFacts[];
  /** Seconds of HTTP history within the SLO period (from the first sample, to the hour); null if unknown. */
  historySeconds: number | null;
  warnings: string[];
}

const keyOf = (labels: Readonly<Record<string, string>>): string => `${labels.namespace ?? ''}\u0000${labels.workload ?? ''}\u0000${labels.workload_type ?? ''}`;

export function aggregateScope(catalog: MetricCatalog, family: DetectedHttpFamily, options: Pick<RedOptions, 'global' | 'namespaces'>, only?: WorkloadRef): HttpAggregateScope {
  const scope: HttpAggregateScope = { family, join: { mapping: catalog.workloadMapping, global: options.global }, targetInfoPods: catalog.targetInfoPods };
  if (only) scope.join = { ...scope.join, only };
  if (options.namespaces) scope.namespaces = options.namespaces;
  return scope;
}

function errorMatchers(family: DetectedHttpFamily): Matcher[] | null {
  return family.status ? [{ label: family.status.label, op: '=~', value: family.status.serverError }] : null;
}

/** Regex that matches how clients write a bucket bound: 1 as "1" or "1.0", 0.5 as "0.5" or "0.50". */
export function leRegex(bound: number): string {
  const [whole, fraction] = String(bound).split('.');
  return fraction ? `${whole}\\.${fraction}0*` : `${whole}(\\.0+)?`;
}

function emptyWindows(): Record<BurnWindowId, EventCounts | null> {
  return Object.fromEntries(burnWindowIds.map((id) => [id, null])) as Record<BurnWindowId, EventCounts | null>;
}

const increase = (seconds: number) => (sel: string): string => `increase(${sel}[${duration(seconds)}])`;

/** Named windows the totals are counted over: the analysis window, every burn window, each SLO period. */
function countWindows(options: RedOptions): Array<[string, number]> {
  return [
    ['window', options.window.end - options.window.start],
    ...burnWindowIds.map((id): [string, number] => [id, BURN_WINDOW_SECONDS[id]]),
    ...options.periods.map((p): [string, number] => [`period:${p}`, p]),
  ];
}

export function totalsParts(family: DetectedHttpFamily, options: RedOptions): AggregatePart[] {
  const errors = errorMatchers(family);
  return countWindows(options).flatMap(([name, seconds]) => {
    const total: AggregatePart = { part: `total:${name}`, suffix: '_count', perSeries: increase(seconds), lookbackSeconds: seconds };
    return errors ? [total, { ...total, part: `errors:${name}`, matchers: errors }] : [total];
  });
}

/**
 * A query a user can paste to see one workload's error ratio over one window: its failed requests
 * over all of them, with the same selectors and workload join the analysis used.
 */
export function errorRatioQuery(catalog: MetricCatalog, family: DetectedHttpFamily, options: Pick<RedOptions, 'global' | 'namespaces'>, only: WorkloadRef, seconds: number): string | null {
  const errors = errorMatchers(family);
  if (!errors) return null;
  const scope = aggregateScope(catalog, family, options, only);
  const total: AggregatePart = { part: 'total', suffix: '_count', perSeries: increase(seconds), lookbackSeconds: seconds };
  return `${httpAggregateQuery(scope, [{ ...total, part: 'errors', matchers: errors }])} / ignoring (${PART_LABEL}) ${httpAggregateQuery(scope, [total])}`;
}

export function bucketsPart(options: RedOptions): AggregatePart {
  const seconds = options.window.end - options.window.start;
  return { part: 'buckets', suffix: '_bucket', perSeries: increase(seconds), lookbackSeconds: seconds };
}

/** At least four scrapes per rate window, and no gaps between timeline steps. */
export function rateWindow(step: number): number {
  return Math.max(step, 300);
}

export function timelineParts(family: DetectedHttpFamily, step: number): AggregatePart[] {
  const window = rateWindow(step);
  const rate = (sel: string): string => `rate(${sel}[${duration(window)}])`;
  const errors = errorMatchers(family);
  const rps: AggregatePart = { part: 'rps', suffix: '_count', perSeries: rate, lookbackSeconds: window };
  // The error ratio is divided here, not in PromQL, so the store evaluates the request rate once.
  return errors ? [rps, { ...rps, part: 'errors', matchers: errors }] : [rps];
}

export function p99TimelineQuery(scope: HttpAggregateScope, step: number): string {
  const window = rateWindow(step);
  const part: AggregatePart = { part: 'p99', suffix: '_bucket', perSeries: (sel) => `rate(${sel}[${duration(window)}])`, lookbackSeconds: window };
  return `histogram_quantile(0.99, ${httpAggregateQuery(scope, [part], ['le'])})`;
}

function latencyParts(thresholds: readonly number[], options: RedOptions): AggregatePart[] {
  const le: Matcher[] = [{ label: 'le', op: '=~', value: thresholds.map(leRegex).join('|') }];
  return countWindows(options)
    .filter(([name]) => name !== 'window')
    .map(([name, seconds]) => ({ part: name, suffix: '_bucket', matchers: le, perSeries: increase(seconds), lookbackSeconds: seconds }));
}

/** One request: when the earliest HTTP sample of any family is, within the longest SLO period (to the hour). */
function historyQuery(catalog: MetricCatalog, options: RedOptions): string {
  const any = catalog.http.map((h) => `count(${selector(h.requests, h.family.matchers, options.global)}) > 0`).join(' or ');
  return `min_over_time((timestamp(vector(1)) and on () (${any}))[${duration(Math.max(...options.periods))}:1h])`;
}

export async function collectRed(api: QueryApi, catalog: MetricCatalog, options: RedOptions): Promise<RedResult> {
  const warnings: string[] = [];
  const facts: RedFacts[] = [];
  const { start, end } = options.window;
  const instant = async (queries: readonly string[]): Promise<InstantSample[]> => {
    const out: InstantSample[] = [];
    for (const q of queries) {
      const r = await api.instant(q, end, options.signal);
      warnings.push(...r.warnings);
      out.push(...r.data);
    }
    return out;
  };
  const range = async (queries: readonly string[], from: number): Promise<RangeSeries[]> => {
    const out: RangeSeries[] = [];
    for (const q of queries) {
      const r = await api.range(q, from, end, options.timelineStep, options.signal);
      warnings.push(...r.warnings);
      out.push(...r.data);
    }
    return out;
  };

  for (const family of catalog.http) {
    const scope = aggregateScope(catalog, family, options);
    const rpsQueries = httpAggregateQueries(scope, timelineParts(family, options.timelineStep));
    const rpsText = rpsQueries.join('\n');
    const p99Text = family.hasBuckets ? p99TimelineQuery(scope, options.timelineStep) : '';
    const byKey = new Map<string, RedFacts>();
    const factFor = (labels: Readonly<Record<string, string>>): RedFacts => {
      const k = keyOf(labels);
      let f = byKey.get(k);
      if (!f) {
        f = {
          key: { namespace: labels.namespace ?? '', workload: labels.workload ?? '', workloadType: labels.workload_type ?? '' },
          family,
          requests: 0,
          errors: family.status ? 0 : null,
          buckets: [],
          windows: emptyWindows(),
          periods: new Map(),
          latencyWindows: new Map(),
          timeline: { p99: [], rps: [], errorRatio: [], step: options.timelineStep, queries: { p99: p99Text, rps: rpsText } },
        };
        byKey.set(k, f);
      }
      return f;
    };

    const counts = new Map<RedFacts, Map<string, number>>();
    for (const sample of await instant(httpAggregateQueries(scope, totalsParts(family, options)))) {
      const part = sample.labels[PART_LABEL];
      if (!part || sample.value === null) continue;
      const f = factFor(sample.labels);
      const map = counts.get(f) ?? new Map<string, number>();
      counts.set(f, map);
      map.set(part, sample.value);
    }
    for (const [f, parts] of counts) {
      const pair = (name: string): EventCounts | null => {
        const total = parts.get(`total:${name}`);
        return total === undefined ? null : { total, bad: family.status ? (parts.get(`errors:${name}`) ?? 0) : 0 };
      };
      f.requests = parts.get('total:window') ?? 0;
      if (family.status) f.errors = parts.get('errors:window') ?? 0;
      for (const id of burnWindowIds) f.windows[id] = pair(id);
      for (const p of options.periods) f.periods.set(p, pair(`period:${p}`));
    }

    if (family.hasBuckets) {
      for (const sample of await instant([httpAggregateQuery(scope, [bucketsPart(options)], ['le'])])) {
        const le = parseLe(sample.labels.le ?? '');
        if (le === null || sample.value === null) continue;
        factFor(sample.labels).buckets.push({ le: le * family.family.toSeconds, count: sample.value });
      }
      const thresholds = (options.latencyThresholds.get(family.family.id) ?? []).map((t) => t / family.family.toSeconds);
      if (thresholds.length > 0) {
        // One bound can come back as several series, "1" and "1.0" (older clients next to Prometheus 3
        // or client_java): their requests add up before the slow ones are counted.
        const fast = new Map<string, number>();
        for (const sample of await instant(httpAggregateQueries(scope, latencyParts(thresholds, options), ['le']))) {
          const le = parseLe(sample.labels.le ?? '');
          const part = sample.labels[PART_LABEL];
          if (le === null || !part || sample.value === null) continue;
          const f = factFor(sample.labels);
          const threshold = le * family.family.toSeconds;
          const entry = f.latencyWindows.get(threshold) ?? { windows: emptyWindows(), periods: new Map<number, EventCounts | null>() };
          f.latencyWindows.set(threshold, entry);
          const period = part.startsWith('period:') ? Number(part.slice('period:'.length)) : null;
          const total = period !== null ? f.periods.get(period)?.total : f.windows[part as BurnWindowId]?.total;
          if (total === undefined) continue;
          const key = `${keyOf(sample.labels)}\u0000${threshold}\u0000${part}`;
          fast.set(key, (fast.get(key) ?? 0) + sample.value);
          const counts: EventCounts = { total, bad: Math.max(0, total - (fast.get(key) ?? 0)) };
          if (period !== null) entry.periods.set(period, counts);
          else entry.windows[part as BurnWindowId] = counts;
        }
      }
    }

    const from = start + rateWindow(options.timelineStep);
    const errorRates = new Map<RedFacts, RangePoint[]>();
    for (const series of await range(rpsQueries, from)) {
      const part = series.labels[PART_LABEL];
      if (part === 'rps') factFor(series.labels).timeline.rps = series.points;
      else if (part === 'errors') errorRates.set(factFor(series.labels), series.points);
    }
    if (family.hasBuckets) {
      for (const series of await range([p99Text], from)) factFor(series.labels).timeline.p99 = series.points;
    }
    for (const f of byKey.values()) {
      if (!family.status) continue;
      const errorsAt = new Map((errorRates.get(f) ?? []).map((p) => [p.time, p.value ?? 0]));
      // No error series at a step means no errors then; no traffic means no ratio (null, not NaN).
      f.timeline.errorRatio = f.timeline.rps.map((p) => ({
        time: p.time,
        value: p.value !== null && p.value > 0 ? Math.min(1, (errorsAt.get(p.time) ?? 0) / p.value) : null,
      }));
    }
    facts.push(...byKey.values());
  }

  let historySeconds: number | null = null;
  if (catalog.http.length > 0) {
    const first = (await instant([historyQuery(catalog, options)]))[0]?.value ?? null;
    if (first !== null) historySeconds = end - first;
  }
  return { facts, historySeconds, warnings };
}
