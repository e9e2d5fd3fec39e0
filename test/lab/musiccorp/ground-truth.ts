import { ANALYSIS_WINDOW, LAB_END, STEPS, STEP_SECONDS, stepOf, stepTime } from '../model/clock';
import { pooledQuantile } from '../model/distributions';
import type { HttpTruth } from '../exporters/http';
import type { MusicCorpWorld } from './simulate';
import { HOT_PARTITION, HOT_REDIS_SHARD_SHARE, ORDER_POOL_SIZE, POSTGRES_MAX_CONNECTIONS } from './simulate';

/**
 * What the lab knows to be true, for tests to hold Headroom against: the bottlenecks injected on
 * purpose (rule id + target), the healthy controls on which those rules must stay silent, and
 * numbers computed from the simulation itself (exact quantiles, burn rates, lags, OOM kills).
 */
export interface TargetRef {
  namespace: string;
  kind: string;
  name: string;
}

export interface ExpectedFinding {
  rule: string;
  target: TargetRef;
  /** The least severe level that is still right. */
  minSeverity: 'info' | 'warning' | 'critical';
  why: string;
}

export interface Control {
  target: TargetRef;
  /** Rules that must report nothing on this target. */
  rules: string[];
  why: string;
}

export interface ServiceTruth {
  namespace: string;
  name: string;
  instrumentation: string;
  /** Requests in the analysis window (expected counts, before exporters round them). */
  requests: number;
  rps: number;
  errorRatio: number;
  p50: number;
  p95: number;
  p99: number;
  /** The instrumentation's bucket bounds around the exact p99. */
  p99Bucket: [number, number | null];
  /** Error ratio over each burn window ending at the lab's end. */
  errorRatios: Record<'5m' | '30m' | '1h' | '2h' | '6h' | '1d' | '3d', number | null>;
}

export interface GroundTruth {
  labEnd: number;
  window: { start: number; end: number };
  stepSeconds: number;
  expected: ExpectedFinding[];
  controls: Control[];
  services: ServiceTruth[];
  kafka: Array<{ topic: string; partitions: number; hotPartition: number | null; lagAtEnd: Record<string, number[]> }>;
  redis: { hotShard: { statefulset: string; pod: string; share: number } };
  oomKills: Array<{ namespace: string; pod: string; container: string; inWindow: number; total: number }>;
  hpas: Array<{ namespace: string; name: string; minReplicas: number; maxReplicas: number; minutesAtMaxInWindow: number; replicaChangesInWindow: number }>;
  pools: { orderPoolSize: number; orderMaxReplicas: number; postgresMaxConnections: number };
}

const t = (namespace: string, kind: string, name: string): TargetRef => ({ namespace, kind, name });
const HPA = 'HorizontalPodAutoscaler';

const EXPECTED: ExpectedFinding[] = [
  { rule: 'connection-pool-exhaustion', target: t('checkout', 'Deployment', 'order'), minSeverity: 'warning', why: 'HikariCP pool of 10 at max with pending threads and timeouts at the evening peak while p99 climbs past a second' },
  { rule: 'hpa-cpu-misuse', target: t('checkout', HPA, 'order'), minSeverity: 'warning', why: 'order scales on CPU (target 70 %) but sits near 25 % CPU at minReplicas while latency degrades: it waits on its pool' },
  { rule: 'hpa-amplifies-db', target: t('checkout', HPA, 'order'), minSeverity: 'warning', why: '12 replicas × 10 connections = 120 > PostgreSQL max_connections 100 − 3 reserved' },
  { rule: 'hot-shard', target: t('kafka', 'KafkaTopic', 'order.placed'), minSeverity: 'warning', why: 'partition 3 carries 55 % of order.placed (6 partitions)' },
  { rule: 'consumer-lag', target: t('kafka', 'KafkaConsumerGroup', 'shipping'), minSeverity: 'warning', why: 'shipping lags on partition 3 only and the lag grows every evening' },
  { rule: 'hot-shard', target: t('data', 'StatefulSet', 'redis-cache'), minSeverity: 'warning', why: 'redis-cache-1 processes 68 % of the cache commands' },
  { rule: 'cache-stampede', target: t('data', 'StatefulSet', 'redis-cache'), minSeverity: 'warning', why: 'hot catalog keys expire together every six hours: misses ×10 while PostgreSQL commits on `catalog` spike' },
  { rule: 'overprovisioned', target: t('analytics', 'Deployment', 'reporting'), minSeverity: 'info', why: 'requests 2 cores / 4 GiB per pod, uses ~0.1 core / ~0.75 GiB' },
  { rule: 'cpu-throttling', target: t('storefront', 'Deployment', 'search'), minSeverity: 'warning', why: 'CPU limit 500m; at peak most CFS periods are throttled and p99 rises with them' },
  { rule: 'memory-pressure', target: t('media', 'Deployment', 'thumbnailer'), minSeverity: 'warning', why: 'working set climbs to the 512 MiB limit; OOMKilled restarts every few hours' },
  { rule: 'hpa-maxed-out', target: t('storefront', HPA, 'inventory'), minSeverity: 'warning', why: 'at maxReplicas 4 every evening with CPU utilisation far above its 60 % target while latency rises' },
  { rule: 'slo-burn', target: t('checkout', 'Deployment', 'payment'), minSeverity: 'critical', why: 'the payment provider refuses 9 % of authorisations for the last 80 minutes: burn ≈ 90× on 5m and 1h' },
  { rule: 'missing-pdb', target: t('fulfilment', 'Deployment', 'shipping'), minSeverity: 'info', why: 'three replicas, no PodDisruptionBudget' },
  { rule: 'missing-pdb', target: t('storefront', 'Deployment', 'inventory'), minSeverity: 'info', why: 'its PDB selects tier=backend; the pods are tier=api, so it covers nothing' },
  { rule: 'hpa-flapping', target: t('fulfilment', HPA, 'notifications'), minSeverity: 'warning', why: 'replicas swing 2 → 4 → 2 with every notification batch (every 20 minutes in office hours)' },
];

const CONTROLS: Control[] = [
  {
    target: t('storefront', 'Deployment', 'frontend'),
    rules: ['connection-pool-exhaustion', 'missing-pdb', 'overprovisioned', 'cpu-throttling', 'memory-pressure', 'slo-burn'],
    why: 'healthy, right-sized, covered by a PDB',
  },
  {
    target: t('storefront', HPA, 'frontend'),
    rules: ['hpa-cpu-misuse', 'hpa-maxed-out', 'hpa-flapping', 'hpa-amplifies-db'],
    why: 'a CPU-based HPA where latency does follow CPU; it never reaches maxReplicas',
  },
  {
    target: t('storefront', 'Deployment', 'catalog'),
    rules: ['connection-pool-exhaustion', 'overprovisioned', 'cpu-throttling', 'memory-pressure', 'missing-pdb', 'slo-burn'],
    why: 'database/sql pool never waits; CPU limit far above use; tiny error rate',
  },
  {
    target: t('checkout', 'Deployment', 'payment'),
    rules: ['connection-pool-exhaustion', 'overprovisioned', 'missing-pdb', 'memory-pressure', 'cpu-throttling'],
    why: 'its pgbouncer pool is far from full',
  },
  { target: t('data', 'Deployment', 'pgbouncer'), rules: ['connection-pool-exhaustion', 'missing-pdb'], why: 'no client ever waits' },
  { target: t('data', 'StatefulSet', 'redis-sessions'), rules: ['hot-shard', 'cache-stampede'], why: 'three evenly loaded shards, steady 1 % miss ratio' },
  { target: t('kafka', 'KafkaTopic', 'inventory.changed'), rules: ['hot-shard'], why: 'four partitions within ±4 % of each other' },
  { target: t('kafka', 'KafkaConsumerGroup', 'catalog-indexer'), rules: ['consumer-lag'], why: 'keeps up' },
  { target: t('kafka', 'KafkaConsumerGroup', 'notifications'), rules: ['consumer-lag'], why: 'reads the hot topic but has capacity for partition 3' },
  { target: t('analytics', 'Deployment', 'reporting'), rules: ['memory-pressure', 'cpu-throttling', 'slo-burn'], why: 'oversized, not starved' },
  { target: t('fulfilment', HPA, 'notifications'), rules: ['hpa-maxed-out'], why: 'peaks at 4 of 8 replicas' },
  { target: t('media', 'Deployment', 'thumbnailer'), rules: ['overprovisioned', 'cpu-throttling'], why: 'memory-bound, not CPU-bound' },
];

const BURN_WINDOWS = { '5m': 300, '30m': 1800, '1h': 3600, '2h': 7200, '6h': 21600, '1d': 86400, '3d': 259200 } as const;

function inWindow(step: number, start: number, end: number): boolean {
  const time = stepTime(step);
  return time > start && time <= end;
}

function serviceTruth(h: HttpTruth): ServiceTruth {
  const { start, end } = ANALYSIS_WINDOW;
  let total = 0;
  let errors = 0;
  const parts: Array<{ count: number; mixture: ReturnType<HttpTruth['outcomes'][number]['latency']> }> = [];
  for (const o of h.outcomes) {
    for (let i = 0; i < STEPS; i++) {
      if (!inWindow(i, start, end)) continue;
      const n = o.counts[i] ?? 0;
      if (n <= 0) continue;
      total += n;
      if (o.status >= 500) errors += n;
      parts.push({ count: n, mixture: o.latency(i) });
    }
  }
  const p99 = pooledQuantile(parts, 0.99);
  const upperIndex = h.buckets.findIndex((b) => b >= p99);
  const p99Bucket: [number, number | null] =
    upperIndex < 0 ? [h.buckets[h.buckets.length - 1] as number, null] : [upperIndex === 0 ? 0 : (h.buckets[upperIndex - 1] as number), h.buckets[upperIndex] as number];
  const errorRatios = Object.fromEntries(
    Object.entries(BURN_WINDOWS).map(([id, seconds]) => {
      let n = 0;
      let bad = 0;
      for (const o of h.outcomes) {
        for (let i = 0; i < STEPS; i++) {
          if (!inWindow(i, LAB_END - seconds, LAB_END)) continue;
          n += o.counts[i] ?? 0;
          if (o.status >= 500) bad += o.counts[i] ?? 0;
        }
      }
      return [id, n > 0 ? bad / n : null];
    }),
  ) as ServiceTruth['errorRatios'];
  return {
    namespace: h.model.workload.namespace,
    name: h.model.workload.name,
    instrumentation: h.model.instrumentation,
    requests: total,
    rps: total / (end - start),
    errorRatio: total > 0 ? errors / total : 0,
    p50: pooledQuantile(parts, 0.5),
    p95: pooledQuantile(parts, 0.95),
    p99,
    p99Bucket,
    errorRatios,
  };
}

export function groundTruth(world: MusicCorpWorld, http: readonly HttpTruth[]): GroundTruth {
  const { start, end } = ANALYSIS_WINDOW;
  const last = stepOf(LAB_END);
  const kafka = world.kafka.topics.map((topic) => {
    const lagAtEnd: Record<string, number[]> = {};
    for (const g of world.kafka.groups.filter((x) => x.topic === topic.topic)) {
      lagAtEnd[g.group] = g.committed.map((c, p) =>
        Math.max(0, Math.floor(topic.partitions[p]?.endOffset[last] ?? 0) - Math.floor(c[last] ?? 0)),
      );
    }
    return { topic: topic.topic, partitions: topic.partitions.length, hotPartition: topic.topic === 'order.placed' ? HOT_PARTITION : null, lagAtEnd };
  });
  const oomKills = world.fleet.workloads.flatMap((w) =>
    w.pods.flatMap((pod) =>
      pod.containers
        .map((c) => {
          const kills = c.incarnations.filter((inc) => inc.terminatedReason === 'OOMKilled');
          return {
            namespace: w.spec.namespace,
            pod: pod.name,
            container: c.spec.name,
            total: kills.length,
            inWindow: kills.filter((inc) => inWindow(inc.end, start, end)).length,
          };
        })
        .filter((k) => k.total > 0),
    ),
  );
  const hpas = world.fleet.workloads.flatMap((w) => {
    if (!w.spec.hpa || !w.hpa) return [];
    let atMax = 0;
    let changes = 0;
    for (let i = 0; i < STEPS; i++) {
      if (!inWindow(i, start, end)) continue;
      if ((w.hpa.replicas[i] ?? 0) >= w.spec.hpa.maxReplicas) atMax += STEP_SECONDS / 60;
      if (i > 0 && w.hpa.replicas[i] !== w.hpa.replicas[i - 1]) changes++;
    }
    return [{ namespace: w.spec.namespace, name: w.spec.hpa.name, minReplicas: w.spec.hpa.minReplicas, maxReplicas: w.spec.hpa.maxReplicas, minutesAtMaxInWindow: atMax, replicaChangesInWindow: changes }];
  });
  const orderHpa = world.fleet.workloads.find((w) => w.spec.name === 'order')?.spec.hpa;
  return {
    labEnd: LAB_END,
    window: { start, end },
    stepSeconds: STEP_SECONDS,
    expected: EXPECTED,
    controls: CONTROLS,
    services: http.map(serviceTruth),
    kafka,
    redis: { hotShard: { statefulset: 'redis-cache', pod: 'redis-cache-1', share: HOT_REDIS_SHARD_SHARE } },
    oomKills,
    hpas,
    pools: { orderPoolSize: ORDER_POOL_SIZE, orderMaxReplicas: orderHpa?.maxReplicas ?? 0, postgresMaxConnections: POSTGRES_MAX_CONNECTIONS },
  };
}
