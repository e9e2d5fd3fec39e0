/**
 * Building blocks of the variant fleets: one time grid, cumulative counters and classic histograms
 * that remember every scrape (so each generator knows its own ground truth), Kubernetes-shaped pod
 * names and kube-state-metrics owner series. Everything is seeded, so a fleet is the same on every run.
 *
 * The fleets are small on purpose: an hour and five minutes at a 30 s scrape interval, a few hundred
 * series, well under 200,000 samples each, so promtool backfills them in a second or two (it parses
 * OpenMetrics text at about 20 MB/s, and Istio's thirty labels make each sample line a kilobyte).
 */
import type { Random } from '../../../lab/model/random';
import type { SmallSeries } from '../../prometheus/small-prometheus';

export type Labels = Record<string, string>;

export const STEP = 30;
/**
 * The last whole hour. Seeded generators give the same history whatever the hour; it is recent
 * because VictoriaMetrics' series lookup (which small-prometheus.ts waits on) only sees recent days.
 */
export const END = Math.floor(Date.now() / 1000 / 3600) * 3600;
export const WINDOW_SECONDS = 3600;
export const WINDOW = { start: END - WINDOW_SECONDS, end: END } as const;
/**
 * Five minutes of history before the window: `increase(x[1h])` at END then spans whole scrapes on
 * both edges, so Prometheus does not extrapolate and the store's numbers equal the ground truth.
 */
export const DATA_START = WINDOW.start - 300;
export const TIMES: readonly number[] = Array.from({ length: (END - DATA_START) / STEP + 1 }, (_, i) => DATA_START + i * STEP);
/** Each fleet stays under this many samples, so that backfilling it stays a matter of seconds. */
export const SAMPLE_BUDGET = 200_000;

export function sampleCount(series: readonly SmallSeries[]): number {
  return series.reduce((n, s) => n + s.samples.length, 0);
}

/** Value at `time` of a cumulative series: its last sample at or before `time`, 0 before it exists. */
function valueAt(samples: ReadonlyArray<[number, number]>, time: number): number {
  let value = 0;
  for (const [t, v] of samples) {
    if (t > time) break;
    value = v;
  }
  return value;
}

/** A counter as a client library exposes it: monotonic, scraped every STEP while its pod lives. */
export class CumulativeCounter {
  private value = 0;
  private readonly samples: Array<[number, number]> = [];

  constructor(readonly labels: Labels) {}

  add(n: number): void {
    this.value += n;
  }

  scrape(time: number): void {
    this.samples.push([time, this.value]);
  }

  series(): SmallSeries {
    return { labels: this.labels, samples: this.samples };
  }

  /** Increase over (from, to]: the ground truth the store's `increase` should reproduce. */
  increase(from: number, to: number): number {
    return valueAt(this.samples, to) - valueAt(this.samples, from);
  }
}

/**
 * A classic histogram of one label set: `<name>_bucket{le}` for each bound (written exactly as the
 * exporter writes it, "1" or "1.0"), `+Inf`, `_count` and `_sum`, all in the exporter's own unit.
 */
export class CumulativeHistogram {
  private readonly bounds: number[];
  private readonly cumulative: number[];
  private sum = 0;
  private readonly bucketSamples: Array<Array<[number, number]>>;
  private readonly countSamples: Array<[number, number]> = [];
  private readonly sumSamples: Array<[number, number]> = [];

  /**
   * `le` texts of the finite bounds, ascending (`+Inf` is added), or null for a timer exported without
   * buckets (only `_count` and `_sum`); `unitSeconds` is the exporter's unit (0.001 for milliseconds).
   */
  constructor(readonly name: string, readonly labels: Labels, readonly le: readonly string[] | null, readonly unitSeconds = 1) {
    this.bounds = [...(le ?? []).map(Number), Number.POSITIVE_INFINITY];
    this.cumulative = this.bounds.map(() => 0);
    this.bucketSamples = this.bounds.map(() => []);
  }

  /** Records one request that took `seconds`, converted to the exporter's unit. */
  observe(seconds: number): void {
    const value = seconds / this.unitSeconds;
    for (let i = 0; i < this.bounds.length; i++) if (value <= (this.bounds[i] as number)) this.cumulative[i] = (this.cumulative[i] as number) + 1;
    this.sum += value;
  }

  scrape(time: number): void {
    this.cumulative.forEach((c, i) => this.bucketSamples[i]?.push([time, c]));
    this.countSamples.push([time, this.cumulative[this.cumulative.length - 1] as number]);
    this.sumSamples.push([time, this.sum]);
  }

  series(): SmallSeries[] {
    const les = [...(this.le ?? []), '+Inf'];
    const buckets = this.le === null ? [] : this.bucketSamples;
    return [
      ...buckets.map((samples, i) => ({ labels: { __name__: `${this.name}_bucket`, ...this.labels, le: les[i] as string }, samples })),
      { labels: { __name__: `${this.name}_count`, ...this.labels }, samples: this.countSamples },
      { labels: { __name__: `${this.name}_sum`, ...this.labels }, samples: this.sumSamples },
    ];
  }

  /** Requests observed over (from, to]. */
  increase(from: number, to: number): number {
    return valueAt(this.countSamples, to) - valueAt(this.countSamples, from);
  }

  /** Cumulative bucket counts over (from, to], bounds in the exporter's unit. */
  bucketIncrease(from: number, to: number): Array<{ le: number; count: number }> {
    return this.bounds.map((le, i) => ({ le, count: valueAt(this.bucketSamples[i] ?? [], to) - valueAt(this.bucketSamples[i] ?? [], from) }));
  }
}

/** What a fleet's generator knows for certain about one workload over WINDOW. */
export interface ServiceTruth {
  namespace: string;
  name: string;
  kind: string;
  /** Requests in the window, each counted once. */
  requests: number;
  /** Server errors in the window. */
  errors: number;
  /** Bounds, in seconds, of the bucket that holds the true p99; null when the shape has no buckets. */
  p99Bucket: [number, number | null] | null;
  /** The pods that served it, for hand-written selectors. */
  pods?: string[];
}

export interface VariantFleet {
  series: SmallSeries[];
  services: ServiceTruth[];
}

/** The bucket holding quantile q of the window's counts summed over series by bound, in seconds. */
export function quantileBucket(q: number, histograms: readonly CumulativeHistogram[]): [number, number | null] | null {
  const byLe = new Map<number, number>();
  for (const h of histograms) for (const b of h.bucketIncrease(WINDOW.start, WINDOW.end)) byLe.set(b.le * h.unitSeconds, (byLe.get(b.le * h.unitSeconds) ?? 0) + b.count);
  const sorted = [...byLe.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted[sorted.length - 1]?.[1] ?? 0;
  if (total <= 0) return null;
  const index = sorted.findIndex(([, count]) => count >= q * total);
  const upper = (sorted[index] as [number, number])[0];
  const lower = index > 0 ? (sorted[index - 1] as [number, number])[0] : 0;
  return [lower, upper === Number.POSITIVE_INFINITY ? null : upper];
}

/** Window totals of a workload from the series that count its requests. */
export function windowTotals(
  counters: ReadonlyArray<{ labels: Labels; increase: (from: number, to: number) => number }>,
  isError: (labels: Labels) => boolean,
): { requests: number; errors: number } {
  let requests = 0;
  let errors = 0;
  for (const c of counters) {
    const n = c.increase(WINDOW.start, WINDOW.end);
    requests += n;
    if (isError(c.labels)) errors += n;
  }
  return { requests, errors };
}

/** Requests in one scrape interval: Poisson-like around the mean (normal approximation, never negative). */
export function arrivals(random: Random, perSecond: number): number {
  const mean = perSecond * STEP;
  return Math.max(0, Math.round(mean + Math.sqrt(mean) * random.normal()));
}

/** Latency from a log-normal distribution: most requests near the median, a long right tail. */
export function logNormal(random: Random, median: number, sigma: number): number {
  return median * Math.exp(sigma * random.normal());
}

/** Kubernetes' rand.SafeEncodeString alphabet: pod-template hashes and generated suffixes use only these. */
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

function safeString(random: Random, length: number): string {
  return Array.from({ length }, () => SAFE[random.int(0, SAFE.length - 1)]).join('');
}

/** A ReplicaSet as a Deployment names it: `<deployment>-<pod-template-hash>`. */
export function replicaSetName(random: Random, deployment: string): string {
  return `${deployment}-${safeString(random, random.int(9, 10))}`;
}

/** A pod as a ReplicaSet (or a DaemonSet) names it: `<owner>-<5 safe characters>`. */
export function generatedPodName(random: Random, owner: string): string {
  return `${owner}-${safeString(random, 5)}`;
}

/** A pod and the controller that owns it, as kube-state-metrics describes it. */
export interface OwnedPod {
  namespace: string;
  pod: string;
  kind: 'ReplicaSet' | 'StatefulSet' | 'DaemonSet';
  owner: string;
  /** The Deployment that owns the ReplicaSet. */
  deployment?: string;
}

/** The pods of one ReplicaSet of a Deployment, named as the controllers name them. */
export function deploymentPods(random: Random, namespace: string, deployment: string, replicas: number): OwnedPod[] {
  const rs = replicaSetName(random, deployment);
  return Array.from({ length: replicas }, () => ({ namespace, pod: generatedPodName(random, rs), kind: 'ReplicaSet', owner: rs, deployment }));
}

/**
 * kube-state-metrics v2.10 `kube_pod_owner` / `kube_replicaset_owner`, as kube-prometheus-stack
 * scrapes it (honor_labels: true, so `namespace` and `pod` are the object's).
 */
export function ownerSeries(objects: readonly OwnedPod[], extra: Labels = {}): SmallSeries[] {
  const ksm = { container: 'kube-state-metrics', endpoint: 'http', instance: '10.0.9.9:8080', job: 'kube-state-metrics', service: 'kube-prometheus-stack-kube-state-metrics', ...extra };
  const constant = TIMES.map((t): [number, number] => [t, 1]);
  const out: SmallSeries[] = [];
  const replicaSets = new Map<string, SmallSeries>();
  for (const o of objects) {
    out.push({
      labels: { __name__: 'kube_pod_owner', ...ksm, namespace: o.namespace, pod: o.pod, uid: `uid-${o.pod}`, owner_kind: o.kind, owner_name: o.owner, owner_is_controller: 'true' },
      samples: constant,
    });
    if (o.kind === 'ReplicaSet' && o.deployment) {
      replicaSets.set(`${o.namespace}/${o.owner}`, {
        labels: { __name__: 'kube_replicaset_owner', ...ksm, namespace: o.namespace, replicaset: o.owner, owner_kind: 'Deployment', owner_name: o.deployment, owner_is_controller: 'true' },
        samples: constant,
      });
    }
  }
  return [...out, ...replicaSets.values()];
}

/** One of `choices` by its share of draws, or `otherwise` for the rest (shares sum to at most 1). */
export function pickByShare<T>(random: Random, choices: ReadonlyArray<{ value: T; share: number }>, otherwise: T): T {
  let draw = random.next();
  for (const c of choices) {
    if (draw < c.share) return c.value;
    draw -= c.share;
  }
  return otherwise;
}

/**
 * A gauge of the slowest request in the last two minutes, as Micrometer's Timer `_max` is (a
 * time-window maximum that rotates through three buffers over `distributionStatisticExpiry`, 2 min).
 */
export class RecentMax {
  private readonly perStep: number[] = [0];
  private readonly samples: Array<[number, number]> = [];

  constructor(readonly labels: Labels) {}

  observe(seconds: number): void {
    this.perStep[0] = Math.max(this.perStep[0] ?? 0, seconds);
  }

  scrape(time: number): void {
    this.samples.push([time, Math.max(...this.perStep)]);
    this.perStep.unshift(0);
    this.perStep.length = Math.min(this.perStep.length, 120 / STEP);
  }

  series(): SmallSeries {
    return { labels: this.labels, samples: this.samples };
  }
}

/**
 * Everything one pod records for one kind of request (one outcome): each instrument the shape updates.
 * Cells may share instruments (a histogram without a status label serves every outcome).
 */
export interface Cell {
  pod: number;
  outcome: number;
  histograms: CumulativeHistogram[];
  counters: CumulativeCounter[];
  gauges?: RecentMax[];
}

/** Requests to one workload: how many, how they end, how long they take, and where they are recorded. */
export interface Traffic {
  rps: number;
  pods: number;
  /** Whether pod i is running (and scraped) at `time`; default: always. */
  alive?: (pod: number, time: number) => boolean;
  /** Shares of outcomes 1…n; outcome 0 takes the rest. */
  shares: number[];
  /** Seconds one request with this outcome takes. */
  latency: (random: Random, outcome: number) => number;
  cells: Cell[];
}

/**
 * Plays the requests over TIMES: each interval's arrivals go to pods alive for the whole interval,
 * then every live pod is scraped. A pod's first scrape comes before its first request, as a pod
 * scraped once before it turns ready, so counters start at 0 and the store loses nothing.
 */
export function playTraffic(random: Random, traffic: readonly Traffic[]): void {
  const cellMaps = traffic.map((t) => new Map(t.cells.map((c) => [`${c.pod}/${c.outcome}`, c])));
  // Each instrument once, with the pod it lives in.
  const instruments = traffic.map((t) => new Map<{ scrape: (time: number) => void }, number>(t.cells.flatMap((c) => [...c.histograms, ...c.counters, ...(c.gauges ?? [])].map((i) => [i, c.pod]))));
  for (const time of TIMES) {
    traffic.forEach((t, index) => {
      const alive = (pod: number, at: number): boolean => t.alive?.(pod, at) ?? true;
      const cells = cellMaps[index] as Map<string, Cell>;
      if (time > DATA_START) {
        const serving = Array.from({ length: t.pods }, (_, i) => i).filter((i) => alive(i, time - STEP) && alive(i, time));
        const outcomes = t.shares.map((share, i) => ({ value: i + 1, share }));
        for (let n = serving.length > 0 ? arrivals(random, t.rps) : 0; n > 0; n--) {
          const outcome = pickByShare(random, outcomes, 0);
          const cell = cells.get(`${random.pick(serving)}/${outcome}`);
          if (!cell) continue;
          const seconds = t.latency(random, outcome);
          for (const h of cell.histograms) h.observe(seconds);
          for (const c of cell.counters) c.add(1);
          for (const g of cell.gauges ?? []) g.observe(seconds);
        }
      }
      for (const [instrument, pod] of instruments[index] ?? []) if (alive(pod, time)) instrument.scrape(time);
    });
  }
}

/** The series of every instrument of the cells, each once. */
export function cellSeries(cells: readonly Cell[]): SmallSeries[] {
  const histograms = new Set(cells.flatMap((c) => c.histograms));
  const counters = new Set(cells.flatMap((c) => [...c.counters, ...(c.gauges ?? [])]));
  return [...[...histograms].flatMap((h) => h.series()), ...[...counters].map((k) => k.series())];
}
