import { CADVISOR, KSM } from '../../prometheus/families';
import { duration, selector, type Matcher } from '../../prometheus/promql';
import type { WorkloadJoin } from '../../prometheus/workloads';
import type { ContainerFacts, CpuUsage, WorkloadFacts } from '../context';
import type { WorkloadKey } from '../red';
import { joinedQueries, PART, ratioTimeline, timelineOf, type PodPart, type QueryRunner, keyOf } from './query-kit';

/**
 * Per workload and container: CPU usage percentiles at one-minute resolution (cAdvisor), the true
 * memory peak from every raw sample, requests and limits (kube-state-metrics), CFS throttling,
 * restarts and OOM kills; and per workload the timelines rules correlate with latency.
 *
 * cAdvisor via the kubelet: `container_cpu_usage_seconds_total`, `container_memory_working_set_bytes`,
 * `container_cpu_cfs_{,throttled_}periods_total` with `namespace`, `pod`, `container`; the pod cgroup
 * row and the pause container have `container=""` (or "POD") and are excluded, else they double count.
 * kube-state-metrics v2: `kube_pod_container_resource_{requests,limits}{resource, unit}`,
 * `kube_pod_container_status_restarts_total`, `kube_pod_container_status_last_terminated_reason{reason}`.
 */
const QUANTILES: Array<[string, number]> = [
  ['q50', 0.5],
  ['q90', 0.9],
  ['q95', 0.95],
  ['q99', 0.99],
  ['q100', 1],
];

const MEMORY_QUANTILES: Array<[string, number]> = [
  ['q50', 0.5],
  ['q90', 0.9],
  ['q99', 0.99],
];

export interface ContainerCollectorOptions {
  join: Omit<WorkloadJoin, 'lookbackSeconds'>;
  global: readonly Matcher[];
  window: { start: number; end: number };
  timelineStep: number;
  /** Scrape interval of the kubelet, seconds (one-minute resolution needs rates over 3 scrapes). */
  scrapeInterval: number;
  /**
   * The store has `container_start_time_seconds`: the first `startupSeconds` of every container run are
   * then kept out of the CPU percentiles (a JVM's JIT burst is not its steady demand) and reported apart.
   */
  startTimes?: boolean;
  startupSeconds?: number;
}

export const DEFAULT_STARTUP_SECONDS = 300;

function containerSelector(metric: string, global: readonly Matcher[]): string {
  return selector(metric, CADVISOR.containerMatchers, global);
}

export function containerParts(options: ContainerCollectorOptions): PodPart[] {
  const w = options.window.end - options.window.start;
  const W = duration(w);
  const g = options.global;
  const by = 'namespace, pod, container';
  // irate() gives each minute's own rate; sampling those at up to ~5,000 points per window (every other
  // minute over a week) keeps the distribution and halves the store's work.
  const stepSeconds = Math.max(options.scrapeInterval, Math.ceil(w / 5040 / options.scrapeInterval) * options.scrapeInterval);
  const step = duration(stepSeconds);
  const irate = `sum by (${by}) (irate(${containerSelector(CADVISOR.cpu, g)}[${duration(options.scrapeInterval * 3)}]))`;
  const startup = options.startupSeconds ?? DEFAULT_STARTUP_SECONDS;
  const age = `max by (${by}) (time() - ${containerSelector(CADVISOR.startTime, g)})`;
  const steady = options.startTimes ? `(${irate} and on (${by}) (${age} > ${startup}))` : irate;
  const startupParts: PodPart[] = options.startTimes
    ? [
        { part: 'cpu:startupMax', expr: `max_over_time((${irate} and on (${by}) (${age} <= ${startup}))[${W}:${step}])`, lookbackSeconds: w },
        { part: 'memory:startupMax', expr: `max_over_time((max by (${by}) (${containerSelector(CADVISOR.memory, g)}) and on (${by}) (${age} <= ${startup}))[${W}:${step}])`, lookbackSeconds: w },
      ]
    : [];
  const ksm = (metric: string, resource: string): string =>
    `max by (${by}) (last_over_time(${selector(metric, [{ label: 'resource', op: '=', value: resource }], g)}[${W}]))`;
  // One step per scrape: a restart shows as a one-scrape jump of the restart counter.
  const scrape = duration(options.scrapeInterval);
  const oomMinutes = `count_over_time(((${selector(KSM.restarts, [], g)} - ${selector(KSM.restarts, [], g)} offset ${scrape}) > 0 and on (${by}) (${selector(KSM.lastTerminated, [{ label: 'reason', op: '=', value: 'OOMKilled' }], g)} == 1))[${W}:${scrape}])`;
  return [
    // Requests follow steady use (start-up minutes left out); p99 and the peak keep them: a limit must
    // let a container start. Filtering costs the store a join per step, so only where it matters.
    ...QUANTILES.map(([name, q]): PodPart => ({ part: `cpu:${name}`, expr: `quantile_over_time(${q}, ${q < 0.99 ? steady : irate}[${W}:${step}])`, lookbackSeconds: w })),
    ...startupParts,
    { part: 'cpu:samples', expr: `sum by (${by}) (count_over_time(${containerSelector(CADVISOR.cpu, g)}[${W}]))`, lookbackSeconds: w },
    { part: 'memory:max', expr: `max by (${by}) (max_over_time(${containerSelector(CADVISOR.memory, g)}[${W}]))`, lookbackSeconds: w },
    // Raw samples, no subquery: cheap. A pod with restarts has one series per run; its worst run counts.
    ...MEMORY_QUANTILES.map(([name, q]): PodPart => ({ part: `memory:${name}`, expr: `max by (${by}) (quantile_over_time(${q}, ${containerSelector(CADVISOR.memory, g)}[${W}]))`, lookbackSeconds: w })),
    { part: 'memory:samples', expr: `sum by (${by}) (count_over_time(${containerSelector(CADVISOR.memory, g)}[${W}]))`, lookbackSeconds: w },
    { part: 'requests:cpu', expr: ksm(KSM.requests, 'cpu'), lookbackSeconds: w },
    { part: 'requests:memory', expr: ksm(KSM.requests, 'memory'), lookbackSeconds: w },
    { part: 'limits:cpu', expr: ksm(KSM.limits, 'cpu'), lookbackSeconds: w },
    { part: 'limits:memory', expr: ksm(KSM.limits, 'memory'), lookbackSeconds: w },
    { part: 'throttled', expr: `sum by (${by}) (increase(${containerSelector(CADVISOR.cfsThrottledPeriods, g)}[${W}]))`, lookbackSeconds: w },
    { part: 'periods', expr: `sum by (${by}) (increase(${containerSelector(CADVISOR.cfsPeriods, g)}[${W}]))`, lookbackSeconds: w },
    { part: 'restarts', expr: `max by (${by}) (increase(${selector(KSM.restarts, [], g)}[${W}]))`, lookbackSeconds: w },
    { part: 'oom', expr: `max by (${by}) (${oomMinutes})`, lookbackSeconds: w },
  ];
}

/** A pod's CPU distribution, known by its quantiles; between knots the CDF is taken as linear. */
interface PodQuantiles {
  knots: Array<[number, number]>;
  weight: number;
}

/**
 * Pools per-pod distributions (mixture weighted by samples) and inverts the pooled CDF: the share of
 * all pod-minutes at or below x. Every pod counts for the time it ran, not one vote per pod.
 */
export function pooledQuantile(pods: readonly PodQuantiles[], q: number): number | null {
  const usable = pods.filter((p) => p.weight > 0 && p.knots.length > 0);
  if (usable.length === 0) return null;
  const total = usable.reduce((s, p) => s + p.weight, 0);
  const cdf = (x: number): number =>
    usable.reduce((sum, p) => {
      const knots: Array<[number, number]> = [[0, 0], ...p.knots];
      let share = 1;
      for (let i = 1; i < knots.length; i++) {
        const [p0, v0] = knots[i - 1] as [number, number];
        const [p1, v1] = knots[i] as [number, number];
        if (x < v1) {
          share = v1 > v0 ? p0 + ((p1 - p0) * (x - v0)) / (v1 - v0) : p0;
          break;
        }
      }
      return sum + p.weight * Math.max(0, Math.min(1, share));
    }, 0) / total;
  let low = 0;
  let high = Math.max(...usable.map((p) => (p.knots[p.knots.length - 1] as [number, number])[1]));
  if (q >= 1) return high;
  for (let i = 0; i < 60; i++) {
    const mid = (low + high) / 2;
    if (cdf(mid) < q) low = mid;
    else high = mid;
  }
  return high;
}

interface PodRow {
  key: WorkloadKey;
  pod: string;
  container: string;
  parts: Map<string, number>;
}

export async function collectContainers(runner: QueryRunner, options: ContainerCollectorOptions): Promise<WorkloadFacts[]> {
  const parts = containerParts(options);
  const queries = joinedQueries(parts, options.join, 'none');
  const rows = new Map<string, PodRow>();
  for (const sample of await runner.instant(queries)) {
    const part = sample.labels[PART];
    const { pod, container } = sample.labels;
    if (!part || !pod || !container || sample.value === null) continue;
    const k = `${keyOf(sample.labels)}\u0000${pod}\u0000${container}`;
    let row = rows.get(k);
    if (!row) {
      row = { key: { namespace: sample.labels.namespace ?? '', workload: sample.labels.workload ?? '', workloadType: sample.labels.workload_type ?? '' }, pod, container, parts: new Map() };
      rows.set(k, row);
    }
    row.parts.set(part, sample.value);
  }

  const byWorkload = new Map<string, { key: WorkloadKey; pods: Set<string>; containers: Map<string, PodRow[]> }>();
  for (const row of rows.values()) {
    const k = keyOf({ namespace: row.key.namespace, workload: row.key.workload, workload_type: row.key.workloadType });
    const entry = byWorkload.get(k) ?? { key: row.key, pods: new Set<string>(), containers: new Map<string, PodRow[]>() };
    byWorkload.set(k, entry);
    entry.pods.add(row.pod);
    entry.containers.set(row.container, [...(entry.containers.get(row.container) ?? []), row]);
  }

  const queryText = queries.join('\n');
  const dailyPeaks = await collectDailyPeaks(runner, options);
  const timelines = await collectWorkloadTimelines(runner, options);
  const out: WorkloadFacts[] = [];
  for (const [k, entry] of byWorkload) {
    const containers: ContainerFacts[] = [...entry.containers.entries()].map(([name, podRows]) => containerFacts(name, podRows, queryText, dailyPeaks.get(`${k}\u0000${name}`) ?? []));
    out.push({
      key: entry.key,
      containers: containers.sort((a, b) => a.name.localeCompare(b.name)),
      podsSeen: entry.pods.size,
      timeline: timelines.get(k) ?? { cpuUtilization: null, throttledRatio: null, memoryLimitRatio: null, replicas: null },
      spec: null,
    });
  }
  return out;
}

/** The latest value across pods of a per-pod fact (requests and limits are the same on every pod of a template, until a rollout). */
function latest(rows: readonly PodRow[], part: string): number | null {
  const values = rows.map((r) => r.parts.get(part)).filter((v): v is number => v !== undefined);
  return values.length > 0 ? (values[values.length - 1] as number) : null;
}

/** Most of a value over pods: startup peaks and the like, where any pod's worst counts. */
function largest(rows: readonly PodRow[], part: string): number | null {
  const values = rows.map((r) => r.parts.get(part)).filter((v): v is number => v !== undefined);
  return values.length > 0 ? Math.max(...values) : null;
}

function containerFacts(name: string, rows: readonly PodRow[], query: string, dailyPeaks: readonly number[]): ContainerFacts {
  const pods: PodQuantiles[] = rows.map((r) => ({
    weight: r.parts.get('cpu:samples') ?? 0,
    knots: QUANTILES.map(([partName, q]): [number, number] | null => {
      const v = r.parts.get(`cpu:${partName}`);
      return v === undefined ? null : [q, v];
    }).filter((x): x is [number, number] => x !== null),
  }));
  const cpu: CpuUsage = {
    p50: pooledQuantile(pods, 0.5),
    p90: pooledQuantile(pods, 0.9),
    p95: pooledQuantile(pods, 0.95),
    p99: pooledQuantile(pods, 0.99),
    max: pooledQuantile(pods, 1),
    maxPodP95: rows.reduce<number | null>((m, r) => {
      const v = r.parts.get('cpu:q95');
      return v === undefined ? m : Math.max(m ?? 0, v);
    }, null),
    samples: pods.reduce((s, p) => s + p.weight, 0),
    pods: rows.length,
    startupMax: largest(rows, 'cpu:startupMax'),
  };
  const sum = (part: string): number => rows.reduce((s, r) => s + (r.parts.get(part) ?? 0), 0);
  const periods = sum('periods');
  const memory = rows.map((r) => r.parts.get('memory:max')).filter((v): v is number => v !== undefined);
  const memoryPods: PodQuantiles[] = rows.map((r) => ({
    weight: r.parts.get('memory:samples') ?? 0,
    knots: [...MEMORY_QUANTILES, ['q100', 1] as [string, number]]
      .map(([partName, q]): [number, number] | null => {
        const v = r.parts.get(partName === 'q100' ? 'memory:max' : `memory:${partName}`);
        return v === undefined ? null : [q, v];
      })
      .filter((x): x is [number, number] => x !== null),
  }));
  return {
    name,
    cpu,
    memoryMax: memory.length > 0 ? Math.max(...memory) : null,
    memory: { p50: pooledQuantile(memoryPods, 0.5), p90: pooledQuantile(memoryPods, 0.9), p99: pooledQuantile(memoryPods, 0.99) },
    memoryDailyPeakP90: dailyPeaks.length > 0 ? (quantileOfSorted([...dailyPeaks].sort((a, b) => a - b), 0.9) ?? null) : null,
    memoryStartupMax: largest(rows, 'memory:startupMax'),
    requests: { cpu: latest(rows, 'requests:cpu'), memory: latest(rows, 'requests:memory') },
    limits: { cpu: latest(rows, 'limits:cpu'), memory: latest(rows, 'limits:memory') },
    throttledRatio: periods > 0 ? sum('throttled') / periods : null,
    restarts: Math.round(sum('restarts')),
    oomKills: Math.round(sum('oom')),
    queries: { cpu: query, memory: query, throttling: query, restarts: query },
  };
}

function quantileOfSorted(sorted: readonly number[], q: number): number | undefined {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * Each pod's working-set peak per day (VPA's memory samples are daily peaks too): one range query at a
 * one-day step, one value per pod, container and day.
 */
async function collectDailyPeaks(runner: QueryRunner, options: ContainerCollectorOptions): Promise<Map<string, number[]>> {
  const day = 86400;
  const w = options.window.end - options.window.start;
  if (w < day) return new Map();
  const part: PodPart = { part: 'daily', expr: `max by (namespace, pod, container) (max_over_time(${containerSelector(CADVISOR.memory, options.global)}[1d]))`, lookbackSeconds: day };
  const out = new Map<string, number[]>();
  for (const s of await runner.range(joinedQueries([part], options.join, 'none'), day, options.window.start + day)) {
    const k = `${keyOf(s.labels)}\u0000${s.labels.container ?? ''}`;
    const peaks = out.get(k) ?? [];
    for (const p of s.points) if (p.value !== null) peaks.push(p.value);
    out.set(k, peaks);
  }
  return out;
}

/** Per-workload timelines: CPU used and requested, throttled and elapsed periods, memory against limit, pods. */
async function collectWorkloadTimelines(runner: QueryRunner, options: ContainerCollectorOptions): Promise<Map<string, WorkloadFacts['timeline']>> {
  const g = options.global;
  const step = options.timelineStep;
  const R = duration(Math.max(step, 300));
  const lookback = Math.max(step, 300);
  const by = 'namespace, pod';
  const sumParts: PodPart[] = [
    { part: 'cpu', expr: `sum by (${by}) (rate(${containerSelector(CADVISOR.cpu, g)}[${R}]))`, lookbackSeconds: lookback },
    { part: 'requests', expr: `sum by (${by}) (${selector(KSM.requests, [{ label: 'resource', op: '=', value: 'cpu' }], g)})`, lookbackSeconds: lookback },
    { part: 'throttled', expr: `sum by (${by}) (rate(${containerSelector(CADVISOR.cfsThrottledPeriods, g)}[${R}]))`, lookbackSeconds: lookback },
    { part: 'periods', expr: `sum by (${by}) (rate(${containerSelector(CADVISOR.cfsPeriods, g)}[${R}]))`, lookbackSeconds: lookback },
    { part: 'replicas', expr: `group by (${by}) (${containerSelector(CADVISOR.memory, g)})`, lookbackSeconds: lookback },
  ];
  const memoryRatio = `max by (${by}) (${containerSelector(CADVISOR.memory, g)} / on (namespace, pod, container) group_left max by (namespace, pod, container) (${selector(KSM.limits, [{ label: 'resource', op: '=', value: 'memory' }], g)}))`;
  const sumQueries = joinedQueries(sumParts, options.join, 'sum');
  const maxQueries = joinedQueries([{ part: 'memoryLimitRatio', expr: memoryRatio, lookbackSeconds: lookback }], options.join, 'max');
  const series = await runner.range([...sumQueries, ...maxQueries], step);
  const byWorkload = new Map<string, Map<string, (typeof series)[number]>>();
  for (const s of series) {
    const part = s.labels[PART];
    if (!part) continue;
    const k = keyOf(s.labels);
    const m = byWorkload.get(k) ?? new Map();
    byWorkload.set(k, m);
    m.set(part, s);
  }
  const sumText = sumQueries.join('\n');
  const out = new Map<string, WorkloadFacts['timeline']>();
  for (const [k, parts] of byWorkload) {
    out.set(k, {
      cpuUtilization: ratioTimeline(timelineOf(parts.get('cpu'), step, sumText), timelineOf(parts.get('requests'), step, sumText), sumText),
      throttledRatio: ratioTimeline(timelineOf(parts.get('throttled'), step, sumText), timelineOf(parts.get('periods'), step, sumText), sumText),
      memoryLimitRatio: timelineOf(parts.get('memoryLimitRatio'), step, maxQueries.join('\n')),
      replicas: timelineOf(parts.get('replicas'), step, sumText),
    });
  }
  return out;
}
