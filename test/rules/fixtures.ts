import type { AnalysisContext, CacheFacts, ConsumerGroupFacts, ContainerFacts, DatabaseFacts, HpaFacts, PoolFacts, ShardGroupFacts, Timeline, WorkloadFacts } from '../../core/analysis/context';
import type { RedFacts } from '../../core/analysis/red';
import type { ServiceAnalysis } from '../../core/analysis/services';
import type { SloStatus } from '../../core/api/report';
import type { Feature, FeatureStatus, MetricCatalog } from '../../core/prometheus/catalog';
import type { FleetSnapshot, HpaInfo, PdbInfo, Workload } from '../../core/kubernetes/model';

/**
 * Builders of synthetic analysis contexts for the rules' table-driven tests: each builder fills what
 * a real collection would, so a test states only what matters to it.
 */
export const END = 1_794_506_400;
export const STEP = 600;
/** A week at the default ten-minute timeline step. */
export const POINTS = (7 * 86400) / STEP;
export const START = END - POINTS * STEP;

export function timeline(values: readonly (number | null)[] | ((i: number) => number | null), options: { step?: number; points?: number; query?: string } = {}): Timeline {
  const step = options.step ?? STEP;
  const n = Array.isArray(values) ? values.length : (options.points ?? POINTS);
  const at = (i: number): number | null => (Array.isArray(values) ? (values[i] ?? null) : (values as (i: number) => number | null)(i));
  return { step, query: options.query ?? 'test_query', points: Array.from({ length: n }, (_, i) => ({ time: END - (n - 1 - i) * step, value: at(i) })) };
}

/** A daily wave: `base` at night, `peak` for `hours` around 20:00 every day. */
export function daily(base: number, peak: number, hours = 3, step = STEP): (i: number) => number {
  return (i) => {
    const t = END - (POINTS - 1 - i) * step;
    const hour = ((t % 86400) + 86400) % 86400 / 3600;
    return Math.abs(hour - 20) <= hours / 2 ? peak : base;
  };
}

const ALL_FEATURES: Feature[] = ['red', 'latency', 'slo', 'workload-mapping', 'container-cpu', 'container-memory', 'cpu-throttling', 'oom-kills', 'requests-limits', 'hpa', 'connection-pools', 'kafka', 'redis'];

export function catalog(missing: readonly Feature[] = []): MetricCatalog {
  const features: FeatureStatus[] = ALL_FEATURES.map((feature) => ({ feature, available: !missing.includes(feature), missing: missing.includes(feature) ? `${feature} metrics are missing` : '' }));
  return { window: { start: START, end: END }, present: [], http: [], workloadMapping: 'kube-state-metrics', targetInfoPods: false, cadvisorLabels: 'container', features, warnings: [] };
}

export function context(parts: Partial<AnalysisContext> & { missingFeatures?: Feature[] } = {}): AnalysisContext {
  const { missingFeatures = [], ...rest } = parts;
  const cat = catalog(missingFeatures);
  return {
    window: { start: START, end: END },
    catalog: cat,
    missing: new Set(missingFeatures),
    services: [],
    workloads: [],
    hpas: [],
    pools: [],
    shardGroups: [],
    consumerGroups: [],
    caches: [],
    databases: [],
    fleet: null,
    ...rest,
  };
}

const quietSlo: SloStatus = {
  objective: 0.999,
  errorBudgetRemaining: 1,
  burnRates: { '5m': 0, '30m': 0, '1h': 0, '2h': 0, '6h': 0, '1d': 0, '3d': 0 },
  alert: 'none',
  timeToExhaustion: null,
  period: 30 * 86400,
};

export interface ServiceInput {
  namespace?: string;
  name: string;
  kind?: string;
  p99?: Timeline;
  rps?: Timeline;
  errorRatio?: Timeline;
  slo?: Partial<SloStatus>;
  errorRatioWindow?: number;
  p99Window?: number;
}

export function service(input: ServiceInput): ServiceAnalysis {
  const namespace = input.namespace ?? 'shop';
  const kind = input.kind ?? 'Deployment';
  const facts = {
    key: { namespace, workload: input.name, workloadType: kind },
    family: { family: { id: 'promhttp', title: 'promhttp', rank: 3 } },
    requests: 1_000_000,
    errors: 0,
    buckets: [],
    windows: {},
    periods: new Map(),
    latencyWindows: new Map(),
    timeline: { p99: input.p99?.points ?? [], rps: input.rps?.points ?? [], errorRatio: input.errorRatio?.points ?? [], step: input.p99?.step ?? STEP, queries: { p99: 'p99_query', rps: 'rps_query' } },
  } as unknown as RedFacts;
  return {
    facts,
    latencySlo: null,
    burnQueries: {},
    report: {
      namespace,
      name: input.name,
      kind,
      rps: 10,
      errorRatio: input.errorRatioWindow ?? 0,
      latency: { p50: 0.02, p95: 0.05, p99: input.p99Window ?? 0.1, p99Bucket: [0.05, 0.1] },
      slo: { ...quietSlo, ...input.slo, burnRates: { ...quietSlo.burnRates, ...input.slo?.burnRates } },
      instrumentation: 'promhttp',
      requests: 1_000_000,
      lowTraffic: false,
      notes: [],
    },
  };
}

export type ContainerInput = Omit<Partial<ContainerFacts>, 'cpu' | 'requests' | 'limits'> & {
  name?: string;
  cpu?: Partial<ContainerFacts['cpu']>;
  requests?: Partial<ContainerFacts['requests']>;
  limits?: Partial<ContainerFacts['limits']>;
};

export function container(input: ContainerInput): ContainerFacts {
  return {
    name: input.name ?? 'app',
    cpu: { p50: 0.1, p90: 0.15, p95: 0.18, p99: 0.2, max: 0.25, maxPodP95: 0.19, samples: 30_000, pods: 3, startupMax: null, ...input.cpu },
    memoryMax: input.memoryMax === undefined ? 200 * 1024 ** 2 : input.memoryMax,
    memory: input.memory ?? { p50: 150 * 1024 ** 2, p90: 180 * 1024 ** 2, p99: 195 * 1024 ** 2 },
    memoryDailyPeakP90: input.memoryDailyPeakP90 === undefined ? null : input.memoryDailyPeakP90,
    memoryStartupMax: input.memoryStartupMax === undefined ? null : input.memoryStartupMax,
    requests: { cpu: 0.25, memory: 256 * 1024 ** 2, ...input.requests },
    limits: { cpu: null, memory: 512 * 1024 ** 2, ...input.limits },
    throttledRatio: input.throttledRatio ?? null,
    restarts: input.restarts ?? 0,
    oomKills: input.oomKills ?? 0,
    queries: { cpu: 'cpu_query', memory: 'memory_query', throttling: 'throttling_query', restarts: 'restarts_query' },
  };
}

export function workload(input: { namespace?: string; name: string; kind?: string; containers?: ContainerFacts[]; timeline?: Partial<WorkloadFacts['timeline']>; podsSeen?: number; spec?: Workload | null }): WorkloadFacts {
  return {
    key: { namespace: input.namespace ?? 'shop', workload: input.name, workloadType: input.kind ?? 'Deployment' },
    containers: input.containers ?? [container({})],
    podsSeen: input.podsSeen ?? 3,
    timeline: { cpuUtilization: null, throttledRatio: null, memoryLimitRatio: null, replicas: null, ...input.timeline },
    spec: input.spec ?? null,
  };
}

export function hpa(input: Partial<HpaFacts> & { name: string; targetName?: string }): HpaFacts {
  return {
    namespace: input.namespace ?? 'shop',
    name: input.name,
    target: input.target ?? { kind: 'Deployment', name: input.targetName ?? input.name },
    minReplicas: input.minReplicas ?? 2,
    maxReplicas: input.maxReplicas ?? 10,
    metrics: input.metrics ?? [{ name: 'cpu', targetType: 'utilization', target: 0.7 }],
    timeline: { current: null, desired: null, cpuUtilization: null, ...input.timeline },
    metricTimelines: input.metricTimelines ?? [],
    hourly: { changes: null, amplitude: null, ...input.hourly },
    spec: input.spec ?? null,
  };
}

export function pool(input: Omit<Partial<PoolFacts>, 'size' | 'timeline'> & { kind: PoolFacts['kind']; workload: string; size: number | null; timeline?: Partial<PoolFacts['timeline']> }): PoolFacts {
  return {
    kind: input.kind,
    owner: input.owner ?? { namespace: 'shop', workload: input.workload, workloadType: 'Deployment' },
    name: input.name ?? 'HikariPool-1',
    size: { value: input.size, query: 'pool_size_query' },
    timeline: { utilization: null, waiting: null, timeouts: null, wait: null, ...input.timeline },
  };
}

export function shardGroup(input: Partial<ShardGroupFacts> & { loads: number[]; name: string }): ShardGroupFacts {
  const total = input.loads.reduce((a, b) => a + b, 0);
  return {
    kind: input.kind ?? 'kafka-topic',
    target: input.target ?? { namespace: 'kafka', kind: input.kind === 'redis' ? 'StatefulSet' : 'KafkaTopic', name: input.name },
    unit: input.unit ?? 'messages/s',
    shards: input.loads.map((load, i) => ({ id: String(i), load, share: total > 0 ? load / total : 0 })),
    query: 'shard_query',
  };
}

export function consumerGroup(input: Partial<ConsumerGroupFacts> & { group: string; topic: string; lags: number[] }): ConsumerGroupFacts {
  return {
    namespace: input.namespace ?? 'kafka',
    group: input.group,
    topic: input.topic,
    partitions: input.lags.map((lag, i) => ({ partition: String(i), lag, maxLag: Math.max(lag, input.partitions?.[i]?.maxLag ?? lag) })),
    lag: input.lag ?? null,
    produceRate: input.produceRate ?? 50,
    production: input.production ?? null,
    query: 'lag_query',
  };
}

export function cache(input: Partial<CacheFacts> & { name: string }): CacheFacts {
  return { target: input.target ?? { namespace: 'data', kind: 'StatefulSet', name: input.name }, missRatio: input.missRatio ?? null, commands: input.commands ?? null };
}

export function database(input: Partial<DatabaseFacts> & { name: string }): DatabaseFacts {
  return { target: input.target ?? { namespace: 'data', kind: 'StatefulSet', name: 'postgres' }, name: input.name, commits: input.commits ?? null };
}

/** A fleet snapshot with just the workloads, HPAs and PDBs a test names. */
export function fleet(input: { workloads?: Partial<Workload>[]; hpas?: HpaInfo[]; pdbs?: PdbInfo[] }): FleetSnapshot {
  const workloads: Workload[] = (input.workloads ?? []).map((w) => ({
    kind: 'Deployment',
    namespace: 'shop',
    name: 'app',
    uid: null,
    labels: {},
    replicas: 3,
    readyReplicas: null,
    selector: { matchLabels: { app: w.name ?? 'app' } },
    podTemplateLabels: { app: w.name ?? 'app' },
    containers: [],
    hpas: [],
    pdbs: [],
    services: [],
    origin: null,
    ...w,
  }));
  return {
    source: 'manifests',
    location: 'test',
    namespace: null,
    serverVersion: null,
    workloads,
    hpas: input.hpas ?? [],
    pdbs: input.pdbs ?? [],
    pods: [],
    nodes: [],
    services: [],
    unreadable: [],
    warnings: [],
  } as unknown as FleetSnapshot;
}
