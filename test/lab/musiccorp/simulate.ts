import { hourOfDay, series, STEPS, STEP_SECONDS } from '../model/clock';
import type { LatencyMixture } from '../model/distributions';
import type { FleetRun, WorkloadRun } from '../model/fleet';
import { findWorkload } from '../model/fleet';
import { simulateHpa } from '../model/hpa';
import { podShares, type HttpServiceModel } from '../model/http';
import { Random } from '../model/random';
import { slowNoise } from '../model/traffic';
import { UsageBook } from '../model/usage';
import { alive, restartContainer, simulatePods, type PodLife, type WorkloadSpec } from '../model/workload';
import type { PoolState } from '../exporters/pools';
import type { KafkaConsumerGroup, KafkaTopic, PgbouncerPool, PostgresDatabase, RedisInstance } from '../exporters/datastores';
import { makeDemand, type Demand } from './demand';
import { Gi, makeNodes, Mi, musicCorpWorkloads } from './spec';

/**
 * MusicCorp's week, simulated: demand → autoscalers → pods → what each container uses → what each
 * library and exporter reports. Each injected bottleneck is a mechanism here, not a painted curve:
 * the order pool saturates because the database slows down at peak, the Kafka partition lags
 * because one key carries most orders, the thumbnailer is OOM-killed because it leaks.
 */
export interface MusicCorpWorld {
  fleet: FleetRun;
  demand: Demand;
  http: HttpServiceModel[];
  /** Client pools per pod uid. */
  hikari: Map<string, PoolState>;
  goSql: Map<string, { dbName: string; pool: PoolState }>;
  postgres: { maxConnections: number; databases: PostgresDatabase[] };
  pgbouncer: Map<string, PgbouncerPool[]>;
  redis: Map<string, RedisInstance>;
  kafka: { brokers: number; topics: KafkaTopic[]; groups: KafkaConsumerGroup[] };
}

/** Hikari pool size of each order pod, and PostgreSQL's max_connections. */
export const ORDER_POOL_SIZE = 10;
/** spring.datasource.hikari.connection-timeout=2000 */
export const ORDER_ACQUIRE_TIMEOUT = 2;
export const POSTGRES_MAX_CONNECTIONS = 100;
/** Share of order.placed messages keyed to the marketplace's largest seller: partition 3. */
export const HOT_PARTITION = 3;
export const HOT_PARTITION_SHARE = 0.55;
/** Share of catalog cache commands that land on redis-cache-1 (the shard holding the hot keys). */
export const HOT_REDIS_SHARD_SHARE = 0.68;

const ln = (median: number, sigma: number, weight = 1): LatencyMixture[number] => ({ weight, median, sigma });

interface CpuModel {
  /** Cores a pod uses idle. */
  base: number;
  /** Core-seconds per request. */
  perRequest: number;
  /** Extra cores in the first minutes after a container starts (JIT, caches). */
  startup: number;
}

export function simulateMusicCorp(): MusicCorpWorld {
  const random = new Random('musiccorp');
  const nodes = makeNodes(random);
  const demand = makeDemand();
  const specs = musicCorpWorkloads();

  const scaled = (shape: Float64Array, k: number): Float64Array => shape.map((v) => v * k);
  const rps = {
    frontend: scaled(demand.storefront, 420),
    catalog: scaled(demand.storefront, 310),
    inventory: scaled(demand.storefront, 260),
    search: scaled(demand.storefront, 95),
    order: scaled(demand.checkout, 180),
    payment: scaled(demand.checkout, 60),
    shipping: scaled(demand.checkout, 15),
    thumbnailer: scaled(demand.storefront, 8),
    notifications: demand.notificationBatch.map((b, i) => (hourOfDay(i) >= 7 && hourOfDay(i) < 23 ? 4 + 14 * b : 1.5)),
    reporting: series(0).map((_, i) => (hourOfDay(i) >= 8 && hourOfDay(i) < 19 ? 0.05 : 0.004)),
  };

  const cpu: Record<string, CpuModel> = {
    frontend: { base: 0.015, perRequest: 0.0032, startup: 0.15 },
    catalog: { base: 0.02, perRequest: 0.0008, startup: 0.1 },
    inventory: { base: 0.02, perRequest: 0.0038, startup: 0.6 },
    search: { base: 0.02, perRequest: 0.022, startup: 0.5 },
    order: { base: 0.05, perRequest: 0.0015, startup: 0.7 },
    payment: { base: 0.03, perRequest: 0.004, startup: 0.5 },
    shipping: { base: 0.012, perRequest: 0.002, startup: 0.05 },
    notifications: { base: 0.01, perRequest: 0.02, startup: 0.05 },
    thumbnailer: { base: 0.03, perRequest: 0.01, startup: 0.05 },
    reporting: { base: 0.03, perRequest: 0.1, startup: 0.6 },
  };

  // --- replicas and pods ------------------------------------------------------------------
  const runs: WorkloadRun[] = [];
  const demandFor = (name: string): Float64Array | undefined => (rps as Record<string, Float64Array>)[name];
  for (const s of specs) {
    const model = cpu[s.name];
    const requests = demandFor(s.name);
    let replicas: Int32Array = new Int32Array(STEPS).fill(s.replicas);
    let hpa: WorkloadRun['hpa'];
    if (s.hpa && model && requests) {
      const app = s.containers[0];
      const totalCpu = requests.map((r) => model.perRequest * r + model.base * (s.hpa?.minReplicas ?? 1));
      hpa = simulateHpa(s.hpa, totalCpu, app?.requests.cpu ?? 1, app?.limits.cpu);
      replicas = hpa.replicas;
    }
    const { pods, replicaSets } = simulatePods(s, replicas, nodes, random);
    const run: WorkloadRun = { spec: s, pods, replicaSets, replicas };
    if (hpa) run.hpa = hpa;
    runs.push(run);
  }
  const fleet: FleetRun = { nodes, workloads: runs, usage: new UsageBook() };
  const run = (ns: string, name: string): WorkloadRun => findWorkload(fleet, ns, name);

  // --- what each container uses ------------------------------------------------------------
  const noiseFor = (pod: PodLife, what: string, sigma: number): Float64Array => slowNoise(`${pod.uid}/${what}`, sigma);
  const startupBoost = (pod: PodLife, container: string, i: number): number => {
    const c = pod.containers.find((x) => x.spec.name === container);
    const inc = c?.incarnations.find((x) => i >= x.start && i < x.end);
    if (!inc || inc.start === 0) return 0;
    const age = i - inc.start;
    return age < 6 ? Math.exp(-age / 1.5) : 0;
  };

  /** Usage of an HTTP service's main container from its request share, with an optional CPU limit. */
  const httpContainerUsage = (w: WorkloadRun, name: string, memory: (pod: PodLife, i: number, rpsPod: number) => number): Map<string, Float64Array> => {
    const model = cpu[name] as CpuModel;
    const requests = demandFor(name) as Float64Array;
    const share = podShares(w.pods);
    const container = w.spec.containers[0];
    const limit = container?.limits.cpu;
    const demandByPod = new Map<string, Float64Array>();
    for (const pod of w.pods) {
      const noise = noiseFor(pod, 'cpu', 0.08);
      const memNoise = noiseFor(pod, 'mem', 0.02);
      const want = series(Number.NaN);
      const used = series(Number.NaN);
      const mem = series(Number.NaN);
      const throttled = limit === undefined ? undefined : series(Number.NaN);
      for (let i = pod.start; i < Math.min(STEPS, pod.end); i++) {
        const podRps = (requests[i] ?? 0) * share(pod, i);
        const wanted = (model.base + model.perRequest * podRps) * (noise[i] ?? 1) + model.startup * startupBoost(pod, name, i);
        want[i] = wanted;
        used[i] = limit === undefined ? wanted : Math.min(wanted, limit * 0.96);
        if (throttled && limit !== undefined) throttled[i] = throttleShare(wanted / limit);
        const warm = Math.min(1, 0.55 + 0.45 * ((i - (incarnationStart(pod, name, i) ?? pod.start)) / 8));
        mem[i] = memory(pod, i, podRps) * (memNoise[i] ?? 1) * warm;
      }
      fleet.usage.set(pod, container?.name ?? name, throttled ? { cpu: used, memory: mem, throttled } : { cpu: used, memory: mem });
      demandByPod.set(pod.uid, want);
    }
    return demandByPod;
  };
  const incarnationStart = (pod: PodLife, container: string, i: number): number | undefined =>
    pod.containers.find((c) => c.spec.name === container)?.incarnations.find((x) => i >= x.start && i < x.end)?.start;

  const jvmSawtooth = (base: number, amplitude: number, periodSteps: number) => (pod: PodLife, i: number): number =>
    base + amplitude * (((i + Math.floor(pod.skew * 1000)) % periodSteps) / periodSteps - 0.5);

  httpContainerUsage(run('storefront', 'frontend'), 'frontend', (_p, _i, r) => 118 * Mi + 0.08 * Mi * r);
  httpContainerUsage(run('storefront', 'catalog'), 'catalog', (_p, _i, r) => 246 * Mi + 0.3 * Mi * r);
  const inventorySaw = jvmSawtooth(560 * Mi, 120 * Mi, 7);
  httpContainerUsage(run('storefront', 'inventory'), 'inventory', (p, i) => inventorySaw(p, i));
  const searchSaw = jvmSawtooth(620 * Mi, 100 * Mi, 9);
  const searchDemand = httpContainerUsage(run('storefront', 'search'), 'search', (p, i) => searchSaw(p, i));
  const orderSaw = jvmSawtooth(690 * Mi, 160 * Mi, 6);
  httpContainerUsage(run('checkout', 'order'), 'order', (p, i) => orderSaw(p, i));
  const paymentSaw = jvmSawtooth(380 * Mi, 80 * Mi, 8);
  httpContainerUsage(run('checkout', 'payment'), 'payment', (p, i) => paymentSaw(p, i));
  httpContainerUsage(run('fulfilment', 'shipping'), 'shipping', (_p, _i, r) => 88 * Mi + 0.5 * Mi * r);
  httpContainerUsage(run('fulfilment', 'notifications'), 'notifications', (_p, _i, r) => 58 * Mi + 0.4 * Mi * r);
  const reportingSaw = jvmSawtooth(700 * Mi, 100 * Mi, 11);
  httpContainerUsage(run('analytics', 'reporting'), 'reporting', (p, i) => reportingSaw(p, i) + (Math.floor(hourOfDay(i)) === 2 ? 60 * Mi : 0));
  // reporting's nightly batch (02:00–03:00) is CPU work outside HTTP.
  for (const pod of run('analytics', 'reporting').pods) {
    const u = fleet.usage.get(pod, 'reporting');
    for (let i = pod.start; i < Math.min(STEPS, pod.end); i++) if (Math.floor(hourOfDay(i)) === 2) u.cpu[i] = (u.cpu[i] ?? 0) + 0.11;
  }
  simulateThumbnailer(run('media', 'thumbnailer'), rps.thumbnailer, cpu.thumbnailer as CpuModel, fleet, random, noiseFor);

  // --- the data tier -------------------------------------------------------------------------
  const dbSlowness = (i: number): number => demand.database[i] ?? 0;
  /** Seconds an order request holds its connection: the query slows sharply as PostgreSQL gets busy. */
  const orderDbTime = (i: number): number => 0.024 + 0.15 * Math.pow(dbSlowness(i), 2);

  const hikari = new Map<string, PoolState>();
  const orderRun = run('checkout', 'order');
  const orderShare = podShares(orderRun.pods);
  const orderStates = new Map<string, { pending: Float64Array; active: Float64Array; wait: Float64Array; timeouts: Float64Array; waitShare: Float64Array }>();
  for (const pod of orderRun.pods) {
    const state = { pending: series(0), active: series(0), wait: series(0), timeouts: series(0), waitShare: series(0) };
    for (let i = pod.start; i < Math.min(STEPS, pod.end); i++) {
      const lambda = (rps.order[i] ?? 0) * orderShare(pod, i);
      const q = poolQueue(lambda, orderDbTime(i), ORDER_POOL_SIZE, ORDER_ACQUIRE_TIMEOUT);
      state.pending[i] = q.pending;
      state.active[i] = q.busy;
      state.wait[i] = q.meanWait;
      state.timeouts[i] = q.timeoutsPerSecond;
      state.waitShare[i] = q.waitShare;
    }
    orderStates.set(pod.uid, state);
    hikari.set(pod.uid, {
      active: (i) => state.active[i] ?? 0,
      pending: (i) => state.pending[i] ?? 0,
      acquisitions: (i) => (rps.order[i] ?? 0) * orderShare(pod, i),
      meanWait: (i) => state.wait[i] ?? 0,
      timeouts: (i) => state.timeouts[i] ?? 0,
      max: ORDER_POOL_SIZE,
      open: () => ORDER_POOL_SIZE,
    });
  }
  /** Order-wide pool state per step (request-weighted over pods) for the latency model. */
  const orderPoolAt = (i: number): { waitShare: number; conditionalWait: number; errorRatio: number } => {
    let lambdaSum = 0;
    let waitShare = 0;
    let waitTotal = 0;
    let timeouts = 0;
    for (const pod of orderRun.pods) {
      if (!alive(pod, i)) continue;
      const s = orderStates.get(pod.uid);
      const lambda = (rps.order[i] ?? 0) * orderShare(pod, i);
      if (!s || lambda <= 0) continue;
      lambdaSum += lambda;
      waitShare += lambda * (s.waitShare[i] ?? 0);
      waitTotal += lambda * (s.wait[i] ?? 0);
      timeouts += s.timeouts[i] ?? 0;
    }
    if (lambdaSum <= 0) return { waitShare: 0, conditionalWait: 0, errorRatio: 0 };
    const share = waitShare / lambdaSum;
    return { waitShare: share, conditionalWait: share > 0 ? waitTotal / lambdaSum / share : 0, errorRatio: Math.min(0.5, timeouts / lambdaSum) };
  };

  // Catalog reads through the Redis cache; misses hit PostgreSQL (database/sql pool, healthy).
  const catalogMissRatio = (i: number): number => 0.04 + 0.51 * (demand.stampede[i] ?? 0);
  const goSql = new Map<string, { dbName: string; pool: PoolState }>();
  const catalogRun = run('storefront', 'catalog');
  const catalogShare = podShares(catalogRun.pods);
  for (const pod of catalogRun.pods) {
    const queries = (i: number): number => (rps.catalog[i] ?? 0) * catalogShare(pod, i) * catalogMissRatio(i) * 2;
    const busy = (i: number): number => queries(i) * (0.008 + 0.05 * (demand.stampede[i] ?? 0));
    goSql.set(pod.uid, {
      dbName: 'catalog',
      pool: { active: busy, pending: () => 0, acquisitions: queries, meanWait: () => 0, timeouts: () => 0, max: 20, open: (i) => Math.max(5, Math.ceil(busy(i))) },
    });
  }
  const shippingRun = run('fulfilment', 'shipping');
  const shippingShare = podShares(shippingRun.pods);
  for (const pod of shippingRun.pods) {
    const queries = (i: number): number => ((rps.order[i] ?? 0) * 0.6 + (rps.shipping[i] ?? 0)) * shippingShare(pod, i);
    const busy = (i: number): number => queries(i) * 0.006;
    goSql.set(pod.uid, {
      dbName: 'shipping',
      pool: { active: busy, pending: () => 0, acquisitions: queries, meanWait: () => 0, timeouts: () => 0, max: 10, open: (i) => Math.max(2, Math.ceil(busy(i)) + 1) },
    });
  }

  // pgbouncer in front of the payments database: a pool of 20 that never fills.
  const pgbouncer = new Map<string, PgbouncerPool[]>();
  const bouncers = run('data', 'pgbouncer').pods;
  for (const pod of bouncers) {
    const half = (i: number): number => (rps.payment[i] ?? 0) / Math.max(1, bouncers.filter((b) => alive(b, i)).length);
    pgbouncer.set(pod.uid, [
      {
        database: 'payments',
        user: 'payment',
        poolSize: 20,
        clientActive: () => 15,
        clientWaiting: () => 0,
        serverActive: (i) => half(i) * 0.012 * 2,
        serverIdle: (i) => Math.max(0, 5 - half(i) * 0.012 * 2),
        maxWaitSeconds: () => 0,
      },
    ]);
  }

  const sumOver = (w: WorkloadRun, i: number, f: (pod: PodLife) => number): number => w.pods.reduce((s, p) => s + (alive(p, i) ? f(p) : 0), 0);
  const postgres = {
    maxConnections: POSTGRES_MAX_CONNECTIONS,
    databases: [
      {
        name: 'orders',
        oid: 16384,
        connections: {
          active: (i: number) => sumOver(orderRun, i, (p) => Math.min(ORDER_POOL_SIZE, orderStates.get(p.uid)?.active[i] ?? 0)),
          idle: (i: number) => sumOver(orderRun, i, (p) => ORDER_POOL_SIZE - Math.min(ORDER_POOL_SIZE, orderStates.get(p.uid)?.active[i] ?? 0)),
          'idle in transaction': (i: number) => ((demand.checkout[i] ?? 0) > 0.7 ? 1 : 0),
        },
        commits: (i: number) => (rps.order[i] ?? 0) * 1.2,
      },
      {
        name: 'catalog',
        oid: 16385,
        connections: {
          active: (i: number) => sumOver(catalogRun, i, (p) => goSql.get(p.uid)?.pool.active(i) ?? 0),
          idle: (i: number) => sumOver(catalogRun, i, (p) => {
            const pool = goSql.get(p.uid)?.pool;
            return pool ? pool.open(i) - pool.active(i) : 0;
          }),
        },
        commits: (i: number) => (rps.catalog[i] ?? 0) * catalogMissRatio(i) * 2,
      },
      {
        name: 'payments',
        oid: 16386,
        connections: {
          active: (i: number) => bouncers.reduce((s, b) => s + (alive(b, i) ? (pgbouncer.get(b.uid)?.[0]?.serverActive(i) ?? 0) : 0), 0),
          idle: (i: number) => bouncers.reduce((s, b) => s + (alive(b, i) ? (pgbouncer.get(b.uid)?.[0]?.serverIdle(i) ?? 0) : 0), 0),
        },
        commits: (i: number) => (rps.payment[i] ?? 0) * 2,
      },
      {
        name: 'shipping',
        oid: 16387,
        connections: {
          active: (i: number) => sumOver(shippingRun, i, (p) => goSql.get(p.uid)?.pool.active(i) ?? 0),
          idle: (i: number) => sumOver(shippingRun, i, (p) => {
            const pool = goSql.get(p.uid)?.pool;
            return pool ? pool.open(i) - pool.active(i) : 0;
          }),
        },
        commits: (i: number) => (rps.order[i] ?? 0) * 0.6,
      },
      { name: 'postgres', oid: 5, connections: { active: () => 1, idle: () => 1 }, commits: () => 0.2 },
      { name: 'template1', oid: 1, connections: {}, commits: () => 0 },
      { name: 'template0', oid: 4, connections: {}, commits: () => 0 },
    ] satisfies PostgresDatabase[],
  };

  // --- Redis ---------------------------------------------------------------------------------
  const redis = new Map<string, RedisInstance>();
  const cacheShares = [(1 - HOT_REDIS_SHARD_SHARE) / 2, HOT_REDIS_SHARD_SHARE, (1 - HOT_REDIS_SHARD_SHARE) / 2];
  run('data', 'redis-cache').pods.forEach((pod, ordinal) => {
    const share = cacheShares[ordinal] ?? 0;
    const commands = (i: number): number => (rps.catalog[i] ?? 0) * 3 * share;
    redis.set(pod.uid, {
      commandsPerSecond: commands,
      hitsPerSecond: (i) => commands(i) * 0.8 * (1 - catalogMissRatio(i)),
      missesPerSecond: (i) => commands(i) * 0.8 * catalogMissRatio(i),
      connectedClients: (i) => 4 * 10 + 3 + (i % 7 === 0 ? 1 : 0),
      memoryUsedBytes: (i) => (1.05 + 0.05 * Math.sin(i / 300)) * Gi * (ordinal === 1 ? 1.1 : 1),
      keys: (i) => 2_100_000 + 40_000 * Math.sin(i / 500 + ordinal),
      maxMemoryBytes: 1.8 * Gi,
    });
  });
  run('data', 'redis-sessions').pods.forEach((pod, ordinal) => {
    const share = [0.34, 0.32, 0.34][ordinal] ?? 0.33;
    const commands = (i: number): number => (rps.frontend[i] ?? 0) * 1.2 * share;
    redis.set(pod.uid, {
      commandsPerSecond: commands,
      hitsPerSecond: (i) => commands(i) * 0.7 * 0.99,
      missesPerSecond: (i) => commands(i) * 0.7 * 0.01,
      connectedClients: () => 36,
      memoryUsedBytes: () => 0.38 * Gi,
      keys: (i) => 410_000 + 120_000 * (demand.storefront[i] ?? 0),
      maxMemoryBytes: 0.45 * Gi,
    });
  });
  for (const name of ['redis-cache', 'redis-sessions']) {
    for (const pod of run('data', name).pods) {
      const r = redis.get(pod.uid) as RedisInstance;
      const noise = noiseFor(pod, 'cpu', 0.05);
      const used = series(Number.NaN);
      const mem = series(Number.NaN);
      for (let i = pod.start; i < pod.end; i++) {
        // Redis executes commands on one thread: ~0.7 ms of CPU per command here.
        used[i] = (0.015 + r.commandsPerSecond(i) * 0.0007) * (noise[i] ?? 1);
        mem[i] = r.memoryUsedBytes(i) * 1.08;
      }
      fleet.usage.set(pod, 'redis', { cpu: used, memory: mem });
      fleet.usage.set(pod, 'redis-exporter', { cpu: used.map((v) => (Number.isNaN(v) ? v : 0.004)), memory: mem.map((v) => (Number.isNaN(v) ? v : 14 * Mi)) });
    }
  }

  // --- Kafka -----------------------------------------------------------------------------------
  const kafka = simulateKafka(rps, run('fulfilment', 'notifications'), random);

  // --- everything else's container usage --------------------------------------------------------
  const flat = (w: WorkloadRun, container: string, cores: (i: number) => number, bytes: (i: number) => number): void => {
    for (const pod of w.pods) {
      const noise = noiseFor(pod, `${container}/cpu`, 0.06);
      const used = series(Number.NaN);
      const mem = series(Number.NaN);
      for (let i = pod.start; i < pod.end; i++) {
        used[i] = cores(i) * (noise[i] ?? 1);
        mem[i] = bytes(i);
      }
      fleet.usage.set(pod, container, { cpu: used, memory: mem });
    }
  };
  flat(run('data', 'postgres'), 'postgres', (i) => 0.3 + 1.1 * dbSlowness(i), (i) => 3.1 * Gi + 0.3 * Gi * dbSlowness(i));
  flat(run('data', 'postgres'), 'postgres-exporter', () => 0.004, () => 22 * Mi);
  flat(run('data', 'pgbouncer'), 'pgbouncer', (i) => 0.02 + 0.04 * (demand.checkout[i] ?? 0), () => 14 * Mi);
  flat(run('data', 'pgbouncer'), 'pgbouncer-exporter', () => 0.003, () => 12 * Mi);
  flat(run('kafka', 'kafka'), 'kafka', (i) => 0.35 + 0.5 * (demand.checkout[i] ?? 0), () => 3.2 * Gi);
  flat(run('kafka', 'kafka-exporter'), 'kafka-exporter', () => 0.011, () => 28 * Mi);
  flat(run('monitoring', 'kube-state-metrics'), 'kube-state-metrics', () => 0.015, () => 71 * Mi);
  flat(run('monitoring', 'prometheus-kube-prometheus-stack-prometheus'), 'prometheus', () => 0.42, (i) => 2.6 * Gi + 0.1 * Gi * Math.sin(i / 240));
  flat(run('monitoring', 'node-exporter'), 'node-exporter', () => 0.012, () => 19 * Mi);

  const http = httpModels(fleet, rps, demand, {
    orderPoolAt,
    orderDbTime,
    catalogMissRatio,
    searchThrottle: (i) => {
      const pods = run('storefront', 'search').pods.filter((p) => alive(p, i));
      if (pods.length === 0) return 0;
      return pods.reduce((s, p) => s + throttleShare((searchDemand.get(p.uid)?.[i] ?? 0) / 0.5), 0) / pods.length;
    },
    inventoryUtilization: (i) => (run('storefront', 'inventory').hpa?.utilization[i] ?? 0) / 100,
  });

  return { fleet, demand, http, hikari, goSql, postgres, pgbouncer, redis, kafka };
}

/**
 * Share of CFS periods throttled for a container whose demand is `ratio` × its CPU limit. Bursts
 * within 100 ms periods hit the quota well before the average does.
 */
export function throttleShare(ratio: number): number {
  return Math.pow(Math.min(0.97, Math.max(0, (ratio - 0.5) / 0.7)), 1.2);
}

/**
 * A fixed-size pool in front of a database, per pod and per step: c connections, arrivals λ per
 * second each holding a connection for `hold` seconds. Below saturation the waiting line follows
 * Sakasegawa's M/M/c approximation; above it, arrivals beyond capacity wait out the acquire
 * timeout and fail.
 */
export function poolQueue(lambda: number, hold: number, size: number, acquireTimeout: number): {
  busy: number;
  pending: number;
  meanWait: number;
  waitShare: number;
  timeoutsPerSecond: number;
} {
  if (lambda <= 0) return { busy: 0, pending: 0, meanWait: 0, waitShare: 0, timeoutsPerSecond: 0 };
  const offered = lambda * hold;
  const rho = offered / size;
  if (rho < 0.97) {
    const pending = Math.pow(rho, Math.sqrt(2 * (size + 1))) / (1 - rho);
    const meanWait = pending / lambda;
    const waitShare = Math.min(0.95, Math.pow(rho, size * 0.45));
    const conditional = waitShare > 0 ? meanWait / waitShare : 0;
    const timeoutsPerSecond = conditional > 0 ? lambda * waitShare * Math.exp(-acquireTimeout / conditional) : 0;
    return { busy: offered, pending, meanWait, waitShare, timeoutsPerSecond };
  }
  const capacity = size / hold;
  const excess = Math.max(0, lambda - capacity);
  const pending = Math.min(200, Math.pow(0.97, Math.sqrt(2 * (size + 1))) / 0.03 + excess * acquireTimeout);
  const served = lambda - excess;
  return {
    busy: size,
    pending,
    meanWait: Math.min(acquireTimeout, pending / Math.max(served, 1e-9)),
    waitShare: 0.95,
    timeoutsPerSecond: excess + served * 0.01,
  };
}

function simulateThumbnailer(
  w: WorkloadRun,
  requests: Float64Array,
  model: CpuModel,
  fleet: FleetRun,
  random: Random,
  noiseFor: (pod: PodLife, what: string, sigma: number) => Float64Array,
): void {
  const limit = w.spec.containers[0]?.limits.memory ?? 512 * Mi;
  const share = podShares(w.pods);
  for (const pod of w.pods) {
    const container = pod.containers[0];
    if (!container) continue;
    const noise = noiseFor(pod, 'cpu', 0.08);
    const used = series(Number.NaN);
    const mem = series(Number.NaN);
    // The image decoder leaks a little with every image: memory climbs until the kernel kills it.
    let workingSet = 180 * Mi + random.between(0, 150) * Mi;
    let sinceStart = 99;
    for (let i = pod.start; i < Math.min(STEPS, pod.end); i++) {
      const podRps = (requests[i] ?? 0) * share(pod, i);
      workingSet += (0.12 + 0.14 * podRps) * Mi + random.normal() * 0.6 * Mi;
      if (workingSet >= limit) {
        restartContainer(container, i, 'OOMKilled', random);
        workingSet = 150 * Mi + random.between(0, 30) * Mi;
        sinceStart = 0;
      }
      used[i] = (model.base + model.perRequest * podRps) * (noise[i] ?? 1) + (sinceStart < 3 ? 0.08 : 0);
      mem[i] = workingSet;
      sinceStart++;
    }
    fleet.usage.set(pod, container.spec.name, { cpu: used, memory: mem });
  }
}

function simulateKafka(rps: Record<string, Float64Array>, notifications: WorkloadRun, random: Random): MusicCorpWorld['kafka'] {
  const topic = (name: string, shares: number[], produce: (i: number) => number, base: number): { topic: KafkaTopic; perPartition: Float64Array[] } => {
    const perPartition = shares.map(() => series(0));
    const partitions = shares.map((share, p) => {
      const end = series(0);
      const oldest = series(0);
      let offset = base + p * 1_250_000 + random.int(0, 90_000);
      for (let i = 0; i < STEPS; i++) {
        const rate = produce(i) * share;
        (perPartition[p] as Float64Array)[i] = rate;
        offset += rate * STEP_SECONDS;
        end[i] = offset;
        // Seven days of retention: the oldest retained offset trails the end by a week of traffic.
        oldest[i] = Math.max(0, offset - 7 * 86400 * produce(i) * share * 0.55);
      }
      return { endOffset: end, oldestOffset: oldest, leader: p % 3 };
    });
    return { topic: { topic: name, partitions }, perPartition };
  };
  const orderProduce = (i: number): number => (rps.order?.[i] ?? 0) * 0.6;
  const hotShares = Array.from({ length: 6 }, (_, p) => (p === HOT_PARTITION ? HOT_PARTITION_SHARE : (1 - HOT_PARTITION_SHARE) / 5));
  const orderPlaced = topic('order.placed', hotShares, orderProduce, 48_000_000);
  const inventoryProduce = (i: number): number => (rps.inventory?.[i] ?? 0) * 0.25;
  const inventoryChanged = topic('inventory.changed', [0.26, 0.24, 0.25, 0.25], inventoryProduce, 9_000_000);

  /** A consumer group that can process `capacity` messages/s per partition: committed offsets. */
  const consume = (t: KafkaTopic, rates: Float64Array[], capacity: number): Float64Array[] =>
    t.partitions.map((p, index) => {
      const committed = series(0);
      const rate = rates[index] as Float64Array;
      let lag = random.between(0, 40);
      for (let i = 0; i < STEPS; i++) {
        const backlog = lag + (rate[i] ?? 0) * STEP_SECONDS;
        const processed = Math.min(backlog, capacity * STEP_SECONDS);
        // A healthy consumer still trails by what arrived since its last commit (~1–3 s).
        lag = Math.max((rate[i] ?? 0) * random.between(1, 3), backlog - processed);
        committed[i] = (p.endOffset[i] ?? 0) - lag;
      }
      return committed;
    });

  const groups: KafkaConsumerGroup[] = [
    { group: 'shipping', topic: 'order.placed', committed: consume(orderPlaced.topic, orderPlaced.perPartition, 30), members: () => 3 },
    {
      group: 'notifications',
      topic: 'order.placed',
      committed: consume(orderPlaced.topic, orderPlaced.perPartition, 100),
      members: (i) => notifications.pods.filter((p) => alive(p, i)).length,
    },
    { group: 'catalog-indexer', topic: 'inventory.changed', committed: consume(inventoryChanged.topic, inventoryChanged.perPartition, 50), members: () => 4 },
  ];
  return { brokers: 3, topics: [orderPlaced.topic, inventoryChanged.topic], groups };
}

interface LatencyInputs {
  orderPoolAt: (i: number) => { waitShare: number; conditionalWait: number; errorRatio: number };
  orderDbTime: (i: number) => number;
  catalogMissRatio: (i: number) => number;
  searchThrottle: (i: number) => number;
  inventoryUtilization: (i: number) => number;
}

function httpModels(fleet: FleetRun, rps: Record<string, Float64Array>, demand: Demand, inputs: LatencyInputs): HttpServiceModel[] {
  const w = (ns: string, name: string): WorkloadSpec => findWorkload(fleet, ns, name).spec;
  const steady = (median: number, sigma: number) => (): LatencyMixture => [ln(median, sigma)];
  const d = (name: string): Float64Array => rps[name] as Float64Array;
  return [
    {
      workload: w('storefront', 'frontend'),
      instrumentation: 'promhttp',
      container: 'frontend',
      metricsPort: 8080,
      demand: d('frontend'),
      serviceVersion: '3.14.2',
      routes: [
        // Page rendering gets a little slower as pods run hot; the HPA keeps them below that.
        { route: '/', method: 'GET', weight: 0.7, latency: (i) => [ln(0.035 * (1 + 0.25 * (demand.storefront[i] ?? 0)), 0.5)] },
        { route: '/api/cart', method: 'POST', weight: 0.3, latency: (i) => [ln(0.022 * (1 + 0.2 * (demand.storefront[i] ?? 0)), 0.45)] },
      ],
    },
    {
      workload: w('storefront', 'catalog'),
      instrumentation: 'promhttp',
      container: 'catalog',
      metricsPort: 8080,
      demand: d('catalog'),
      serviceVersion: '2.8.0',
      routes: [
        {
          route: '/products/{id}',
          method: 'GET',
          weight: 0.8,
          latency: (i) => {
            const miss = inputs.catalogMissRatio(i);
            const stampede = demand.stampede[i] ?? 0;
            return [ln(0.012, 0.45, 1 - miss), ln(0.09 + 0.55 * stampede, 0.55, miss)];
          },
          error: { status: 500, ratio: () => 0.0003, latency: steady(0.05, 0.6) },
        },
        { route: '/categories', method: 'GET', weight: 0.2, latency: steady(0.008, 0.4) },
      ],
    },
    {
      workload: w('storefront', 'inventory'),
      instrumentation: 'otel-otlp',
      container: 'inventory',
      metricsPort: 9464,
      demand: d('inventory'),
      serviceVersion: '5.2.1',
      routes: [
        {
          route: '/inventory/{sku}',
          method: 'GET',
          weight: 0.75,
          latency: (i) => {
            const hot = Math.max(0, inputs.inventoryUtilization(i) - 0.7);
            return [ln(0.03 * (1 + 6 * Math.pow(hot, 1.3)), 0.45 + 0.5 * Math.min(1, hot * 2))];
          },
        },
        {
          route: '/inventory/reserve',
          method: 'POST',
          weight: 0.25,
          latency: (i) => {
            const hot = Math.max(0, inputs.inventoryUtilization(i) - 0.7);
            return [ln(0.045 * (1 + 6 * Math.pow(hot, 1.3)), 0.45 + 0.5 * Math.min(1, hot * 2))];
          },
        },
      ],
    },
    {
      workload: w('storefront', 'search'),
      instrumentation: 'otel-scrape',
      container: 'search',
      metricsPort: 9464,
      demand: d('search'),
      serviceVersion: '1.19.4',
      routes: [
        {
          route: '/search',
          method: 'GET',
          weight: 1,
          latency: (i) => {
            const t = inputs.searchThrottle(i);
            return [ln(0.045 * (1 + 2.5 * t), 0.5 + 0.4 * t)];
          },
        },
      ],
    },
    {
      workload: w('checkout', 'order'),
      instrumentation: 'spring',
      container: 'order',
      metricsPort: 8080,
      demand: d('order'),
      serviceVersion: '4.11.0',
      routes: (['POST /orders', 'GET /orders/{id}'] as const).map((key, index) => {
        const [method, route] = key.split(' ') as [string, string];
        const own = index === 0 ? 0.006 : 0.003;
        return {
          route,
          method,
          weight: index === 0 ? 0.6 : 0.4,
          latency: (i: number): LatencyMixture => {
            const pool = inputs.orderPoolAt(i);
            const db = inputs.orderDbTime(i);
            return [ln(own + db, 0.35, 1 - pool.waitShare), ln(own + db + pool.conditionalWait, 0.5, pool.waitShare)];
          },
          // HikariCP gives up after connectionTimeout (2 s): SQLTransientConnectionException → 500.
          error: {
            status: 500,
            exception: 'SQLTransientConnectionException',
            ratio: (i: number) => inputs.orderPoolAt(i).errorRatio,
            latency: () => [ln(ORDER_ACQUIRE_TIMEOUT + 0.02, 0.01)],
          },
        };
      }),
    },
    {
      workload: w('checkout', 'payment'),
      instrumentation: 'otel-scrape',
      container: 'payment',
      metricsPort: 9464,
      demand: d('payment'),
      serviceVersion: '7.0.3',
      routes: [
        {
          route: '/payments',
          method: 'POST',
          weight: 1,
          latency: steady(0.09, 0.4),
          // The payment provider starts refusing 9 % of authorisations 80 minutes before the end.
          error: { status: 503, ratio: (i) => 0.0002 + 0.09 * (demand.paymentOutage[i] ?? 0), latency: steady(0.35, 0.3) },
        },
      ],
    },
    {
      workload: w('fulfilment', 'shipping'),
      instrumentation: 'promhttp',
      container: 'shipping',
      metricsPort: 9090,
      demand: d('shipping'),
      serviceVersion: '2.3.7',
      routes: [{ route: '/shipments', method: 'GET', weight: 1, latency: steady(0.015, 0.45) }],
    },
    {
      workload: w('fulfilment', 'notifications'),
      instrumentation: 'promhttp',
      container: 'notifications',
      metricsPort: 9090,
      demand: d('notifications'),
      serviceVersion: '1.6.0',
      routes: [{ route: '/notify', method: 'POST', weight: 1, latency: steady(0.04, 0.4) }],
    },
    {
      workload: w('media', 'thumbnailer'),
      instrumentation: 'promhttp',
      container: 'thumbnailer',
      metricsPort: 8080,
      demand: d('thumbnailer'),
      serviceVersion: '0.9.12',
      routes: [{ route: '/thumbnail', method: 'POST', weight: 1, latency: steady(0.12, 0.5) }],
    },
    {
      workload: w('analytics', 'reporting'),
      instrumentation: 'spring',
      container: 'reporting',
      metricsPort: 8080,
      demand: d('reporting'),
      serviceVersion: '2024.11.2',
      routes: [{ route: '/reports/{id}', method: 'GET', weight: 1, latency: steady(0.6, 0.7) }],
    },
  ];
}
