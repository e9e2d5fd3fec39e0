/**
 * Runs a variant fleet the way a user would meet it: backfilled into a real Prometheus (promtool) and,
 * where the case needs it, imported into a real VictoriaMetrics, then `analyze` over WINDOW through the
 * real client — every request recorded — and hand-written PromQL evaluated on the same store to hold
 * Headroom's numbers to account.
 */
import { expect } from 'vitest';
import { analyze, type Analysis, type AnalyzeOptions } from '../../../../core/analysis/analyze';
import type { ServiceReport } from '../../../../core/api/report';
import { PrometheusClient } from '../../../../core/prometheus/client';
import { duration } from '../../../../core/prometheus/promql';
import type { InstantSample, QueryApi, QueryResult, RangeSeries } from '../../../../core/prometheus/query-api';
import { startSmallPrometheus, startSmallVictoriaMetrics, type SmallSeries, type SmallStore } from '../../prometheus/small-prometheus';
import { END, WINDOW, WINDOW_SECONDS, type ServiceTruth } from './fleet';

export type StoreKind = 'prometheus' | 'victoriametrics';

export interface RecordedCall {
  method: 'instant' | 'range' | 'labelNames' | 'labelValues';
  /** The query, or the match[] selectors of a label lookup. */
  queries: string[];
}

/** A QueryApi that passes everything through and remembers what was asked. */
export class RecordingApi implements QueryApi {
  readonly calls: RecordedCall[] = [];

  constructor(private readonly inner: QueryApi) {}

  instant(query: string, time: number, signal?: AbortSignal): Promise<QueryResult<InstantSample[]>> {
    this.calls.push({ method: 'instant', queries: [query] });
    return this.inner.instant(query, time, signal);
  }

  range(query: string, start: number, end: number, step: number, signal?: AbortSignal): Promise<QueryResult<RangeSeries[]>> {
    this.calls.push({ method: 'range', queries: [query] });
    return this.inner.range(query, start, end, step, signal);
  }

  labelNames(match: readonly string[], start: number, end: number, signal?: AbortSignal): Promise<QueryResult<string[]>> {
    this.calls.push({ method: 'labelNames', queries: [...match] });
    return this.inner.labelNames(match, start, end, signal);
  }

  labelValues(label: string, match: readonly string[], start: number, end: number, signal?: AbortSignal): Promise<QueryResult<string[]>> {
    this.calls.push({ method: 'labelValues', queries: [...match] });
    return this.inner.labelValues(label, match, start, end, signal);
  }
}

export interface VariantStore {
  kind: StoreKind;
  client: PrometheusClient;
  /** Hand-written PromQL at END (or `time`): the first sample's value, null when the answer is empty. */
  value: (query: string, time?: number) => Promise<number | null>;
  vector: (query: string, time?: number) => Promise<InstantSample[]>;
  stop: () => Promise<void>;
}

export interface VariantRun extends VariantStore {
  analysis: Analysis;
  calls: RecordedCall[];
}

export async function startStores(series: SmallSeries[], kinds: readonly StoreKind[], options: { victoriaFlags?: string[] } = {}): Promise<VariantStore[]> {
  const start = (kind: StoreKind): Promise<SmallStore> =>
    kind === 'prometheus' ? startSmallPrometheus(series) : startSmallVictoriaMetrics(series, { flags: options.victoriaFlags ?? [] });
  const started = await Promise.allSettled(kinds.map((kind) => start(kind).then((s): [StoreKind, SmallStore] => [kind, s])));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (failed) {
    await Promise.all(ok.map(([, s]) => s.stop()));
    throw failed.reason;
  }
  return ok.map(([kind, store]) => {
    const client = new PrometheusClient({ url: store.url });
    const vector = async (query: string, time = END): Promise<InstantSample[]> => (await client.instant(query, time)).data;
    return {
      kind,
      client,
      vector,
      value: async (query, time) => (await vector(query, time))[0]?.value ?? null,
      stop: async () => {
        client.close();
        await store.stop();
      },
    };
  });
}

/** `analyze` over WINDOW on each store, with every request recorded. */
export async function analyzeAll(stores: readonly VariantStore[], options: Partial<AnalyzeOptions> = {}): Promise<VariantRun[]> {
  return Promise.all(
    stores.map(async (store) => {
      const api = new RecordingApi(store.client);
      const analysis = await analyze(api, { window: { ...WINDOW }, ...options });
      return { ...store, analysis, calls: api.calls };
    }),
  );
}

export async function stopAll(stores: readonly VariantStore[] | undefined): Promise<void> {
  await Promise.all((stores ?? []).map((s) => s.stop()));
}

export function serviceOf(analysis: Analysis, namespace: string, name: string): ServiceReport {
  const found = analysis.report.services.find((s) => s.namespace === namespace && s.name === name);
  if (!found) throw new Error(`${namespace}/${name} is missing from the report (has ${analysis.report.services.map((s) => `${s.namespace}/${s.name}`).join(', ')})`);
  return found;
}

/** `selector` with one more matcher: `x{a="b"}` + `c="d"` → `x{a="b",c="d"}`. */
export function withMatcher(selector: string, matcher: string): string {
  return selector.endsWith('}') ? `${selector.slice(0, -1)},${matcher}}` : `${selector}{${matcher}}`;
}

/** The same question Headroom answers, written by hand for one shape and one workload. */
export interface HandPromql {
  /** Selector of the series that count this workload's requests once. */
  requests: string;
  /** Matcher text that marks a server error, e.g. `code=~"5.."`. */
  errors: string;
  /** Selector of this workload's `_bucket` series; null when the shape has none. */
  buckets: string | null;
  /** The exporter's unit in seconds (0.001 for milliseconds). */
  toSeconds: number;
}

function expectRelative(actual: number | null | undefined, expected: number, what: string, tolerance = 1e-9): void {
  expect(actual, what).not.toBeNull();
  expect(actual, what).toBeTypeOf('number');
  const scale = Math.max(Math.abs(expected), 1e-12);
  expect(Math.abs((actual as number) - expected) / scale, `${what}: ${actual} vs ${expected}`).toBeLessThan(tolerance);
}

/**
 * Rate, error ratio, p50/p95/p99 of one workload equal the hand-written PromQL on the same store,
 * and the request count and p99 bucket equal the generator's ground truth. `truthTolerance` allows for
 * Prometheus' extrapolation of series that end inside the window (pods gone in a rollout), which the
 * PromQL comparison shares but the ground truth does not.
 */
export async function expectRedMatches(store: VariantStore, service: ServiceReport, hand: HandPromql, truth: ServiceTruth, options: { truthTolerance?: number } = {}): Promise<void> {
  const what = `${store.kind} ${service.namespace}/${service.name}`;
  const tolerance = options.truthTolerance ?? 1e-9;
  const w = duration(WINDOW_SECONDS);
  const requests = (await store.value(`sum(increase(${hand.requests}[${w}]))`)) ?? 0;
  expectRelative(service.requests, requests, `${what} requests vs PromQL`);
  expectRelative(service.rps, requests / WINDOW_SECONDS, `${what} rps vs PromQL`);
  expectRelative(service.requests, truth.requests, `${what} requests vs ground truth`, tolerance);

  const errors = (await store.value(`sum(increase(${withMatcher(hand.requests, hand.errors)}[${w}]))`)) ?? 0;
  if (requests > 0) {
    expect(service.errorRatio, `${what} error ratio`).not.toBeNull();
    expect(Math.abs((service.errorRatio as number) - errors / requests), `${what} error ratio vs PromQL`).toBeLessThan(1e-12);
    expect(Math.abs((service.errorRatio as number) - truth.errors / truth.requests), `${what} error ratio vs ground truth`).toBeLessThan(tolerance);
  }

  if (hand.buckets === null) return;
  for (const [q, value] of [[0.5, service.latency.p50], [0.95, service.latency.p95], [0.99, service.latency.p99]] as const) {
    const direct = await store.value(`histogram_quantile(${q}, sum by (le) (increase(${hand.buckets}[${w}])))`);
    expect(direct, `${what} PromQL p${q * 100}`).not.toBeNull();
    expectRelative(value, (direct as number) * hand.toSeconds, `${what} p${q * 100} vs PromQL`);
  }
  const bucket = service.latency.p99Bucket;
  expect(bucket, `${what} p99 bucket`).not.toBeNull();
  expect(truth.p99Bucket, `${what} truth p99 bucket`).not.toBeNull();
  const [lower, upper] = truth.p99Bucket as [number, number | null];
  expectRelative(bucket?.[0], lower, `${what} p99 bucket lower bound`);
  if (upper === null) expect(bucket?.[1], `${what} p99 bucket upper bound`).toBeNull();
  else expectRelative(bucket?.[1], upper, `${what} p99 bucket upper bound`);
}

/** Paths of every NaN or ±Infinity in a value (JSON.stringify would hide them as null). */
export function nonFiniteNumbers(value: unknown, path = '$', seen = new Set<unknown>()): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [`${path} = ${value}`];
  if (value === null || typeof value !== 'object' || seen.has(value)) return [];
  seen.add(value);
  if (value instanceof Map) return [...value.entries()].flatMap(([k, v]) => [...nonFiniteNumbers(k, `${path}<key>`, seen), ...nonFiniteNumbers(v, `${path}.get(${String(k)})`, seen)]);
  if (value instanceof Set) return [...value].flatMap((v, i) => nonFiniteNumbers(v, `${path}{${i}}`, seen));
  return Object.entries(value).flatMap(([k, v]) => nonFiniteNumbers(v, `${path}.${k}`, seen));
}
