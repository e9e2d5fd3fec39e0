import type { TargetRef } from '../api/report';
import type { Feature, MetricCatalog } from '../prometheus/catalog';
import type { FleetSnapshot, HpaInfo, Workload } from '../kubernetes/model';
import type { RangePoint } from '../prometheus/query-api';
import type { WorkloadKey } from './red';
import type { ServiceAnalysis } from './services';

/**
 * What the rules read: aggregates the analysis collected with a fixed number of queries, and the
 * Kubernetes objects when a cluster or a manifest folder is connected. Rules never query; they see
 * numbers, timelines and the PromQL that produced them (for evidence). Units: seconds, cores,
 * bytes, ratios in [0, 1], unix seconds.
 */

/** A number with the query that measured it, so findings can show their evidence. */
export interface Measured<T = number | null> {
  value: T;
  query: string;
}

export interface Timeline {
  points: RangePoint[];
  step: number;
  /** The range query behind it. */
  query: string;
}

export interface CpuUsage {
  /** Pooled over every pod of the workload (weighted by samples), cores at 1-minute resolution. */
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  /** krr's figure: the largest per-pod p95 (one hot pod decides for all). */
  maxPodP95: number | null;
  samples: number;
  pods: number;
  /**
   * Peak in the first minutes after a container started (JIT, cache warm-up). Those minutes are left out
   * of p50–p95 (what requests follow) when the store reports container start times; p99 and max keep
   * them (what limits must allow). Null when unknown.
   */
  startupMax: number | null;
}

export interface ContainerFacts {
  name: string;
  cpu: CpuUsage;
  /** Working-set bytes: the true peak from every raw sample, not a coarse step. */
  memoryMax: number | null;
  /** Working-set percentiles over raw samples, pooled over pods like CPU (bytes). */
  memory: { p50: number | null; p90: number | null; p99: number | null };
  /** p90 of each pod's daily working-set peak (bytes): the VPA recommender's memory signal. */
  memoryDailyPeakP90: number | null;
  /** Largest working set in the first minutes after a container started (bytes); null when unknown. */
  memoryStartupMax: number | null;
  /** Requests and limits in force (kube-state-metrics, else the cluster or manifests). */
  requests: { cpu: number | null; memory: number | null };
  limits: { cpu: number | null; memory: number | null };
  /** Throttled CFS periods ÷ all periods over the window (containers with a CPU limit only). */
  throttledRatio: number | null;
  restarts: number;
  oomKills: number;
  queries: { cpu: string; memory: string; throttling: string; restarts: string };
}

export interface WorkloadFacts {
  key: WorkloadKey;
  containers: ContainerFacts[];
  /** Distinct pods seen in the window. */
  podsSeen: number;
  timeline: {
    /** Σ CPU used ÷ Σ CPU requested over the workload's pods. */
    cpuUtilization: Timeline | null;
    /** Throttled periods ÷ periods, over the workload's containers with a CPU limit. */
    throttledRatio: Timeline | null;
    /** Largest working set ÷ memory limit among its pods. */
    memoryLimitRatio: Timeline | null;
    /** Pods running. */
    replicas: Timeline | null;
  };
  spec: Workload | null;
}

export interface HpaFacts {
  namespace: string;
  name: string;
  target: { kind: string; name: string } | null;
  minReplicas: number | null;
  maxReplicas: number | null;
  /** What it scales on, from kube-state-metrics or the HPA object. */
  metrics: Array<{ name: string; targetType: 'utilization' | 'average' | 'value'; target: number | null }>;
  timeline: { current: Timeline | null; desired: Timeline | null; cpuUtilization: Timeline | null };
  /**
   * The current value of each metric it scales on, as its status reports it (same units as `metrics`:
   * utilisation as a ratio, averages per pod, plain values), over the window.
   */
  metricTimelines: Array<{ name: string; targetType: 'utilization' | 'average' | 'value'; timeline: Timeline }>;
  /** Per hour over the window: replica changes, and max − min replicas. */
  hourly: { changes: Timeline | null; amplitude: Timeline | null };
  spec: HpaInfo | null;
}

export type PoolKind = 'hikaricp' | 'go-sql' | 'pgbouncer' | 'postgres';

export interface PoolFacts {
  kind: PoolKind;
  /** The workload that owns the pool (the app, or the pgbouncer / database workload). */
  owner: WorkloadKey;
  /** Pool name, database name or server, as the exporter labels it. */
  name: string;
  /** Connections per pod (client pools), pool_size (pgbouncer), max_connections − reserved (postgres). */
  size: Measured;
  timeline: {
    /** Busy ÷ size, the worst pod at each step. */
    utilization: Timeline | null;
    /** Threads, goroutines or clients waiting for a connection, summed over pods. */
    waiting: Timeline | null;
    /** Acquisitions that gave up, per second. */
    timeouts: Timeline | null;
    /** Mean wait for a connection, seconds. */
    wait: Timeline | null;
  };
}

export interface ShardFacts {
  id: string;
  /** Load in the group's unit (messages/s produced, commands/s). */
  load: number;
  share: number;
}

export interface ShardGroupFacts {
  kind: 'kafka-topic' | 'redis';
  target: TargetRef;
  unit: string;
  shards: ShardFacts[];
  query: string;
}

export interface ConsumerGroupFacts {
  namespace: string;
  group: string;
  topic: string;
  partitions: Array<{ partition: string; lag: number; maxLag: number }>;
  /** Total lag of the group on the topic over time. */
  lag: Timeline | null;
  /** Messages per second produced to the topic, over the window. */
  produceRate: number | null;
  /** Messages per second produced to the topic over time. */
  production: Timeline | null;
  query: string;
}

export interface CacheFacts {
  target: TargetRef;
  missRatio: Timeline | null;
  commands: Timeline | null;
}

export interface DatabaseFacts {
  target: TargetRef;
  /** Database (datname) or server. */
  name: string;
  /** Committed transactions per second. */
  commits: Timeline | null;
}

export interface AnalysisContext {
  window: { start: number; end: number };
  catalog: MetricCatalog;
  /** Features the store cannot support (see MetricCatalog.features). */
  missing: ReadonlySet<Feature>;
  services: readonly ServiceAnalysis[];
  workloads: readonly WorkloadFacts[];
  hpas: readonly HpaFacts[];
  pools: readonly PoolFacts[];
  shardGroups: readonly ShardGroupFacts[];
  consumerGroups: readonly ConsumerGroupFacts[];
  caches: readonly CacheFacts[];
  databases: readonly DatabaseFacts[];
  /** Kubernetes objects, from a cluster or a manifest folder; null when analysing from metrics alone. */
  fleet: FleetSnapshot | null;
}
