import type { MetricCatalog } from '../../prometheus/catalog';
import { duration, selector, type Matcher } from '../../prometheus/promql';
import type { WorkloadJoin } from '../../prometheus/workloads';
import type { PoolFacts, PoolKind, Timeline } from '../context';
import type { WorkloadKey } from '../red';
import { joinedQueries, keyOf, PART, ratioTimeline, timelineOf, type PodPart, type QueryRunner } from './query-kit';

/**
 * Connection pools, whoever reports them, as one shape: size, utilisation (worst pod), waiters,
 * timeouts and mean wait. Each pool's name travels in `headroom_pool` so that all kinds share three
 * requests (sizes, summed timelines, worst-pod timelines).
 *
 *  - HikariCP via Micrometer (Spring Boot): `hikaricp_connections_{active,max,pending}`,
 *    `hikaricp_connections_timeout_total`, `hikaricp_connections_acquire_seconds_{sum,count}`; label `pool`.
 *  - Go database/sql via client_golang's DBStatsCollector: `go_sql_{in_use,max_open}_connections`,
 *    `go_sql_wait_{count,duration_seconds}_total`; const label `db_name`. max_open 0 means unlimited.
 *  - pgbouncer_exporter: `pgbouncer_pools_{client_waiting,server_active}_connections{database,user}`,
 *    `pgbouncer_pools_client_maxwait_seconds`, `pgbouncer_databases_pool_size{name,…}` — its `name` is
 *    the logical database the pools call `database` (its own `database` label is the backend's).
 *  - postgres_exporter: `pg_stat_activity_count{datname,state}`, `pg_settings_max_connections`,
 *    `pg_settings_superuser_reserved_connections` (label `server`).
 * All are scraped from the pod that owns them (`namespace`, `pod`), which maps them to workloads.
 */
const POOL = 'headroom_pool';

export interface PoolCollectorOptions {
  join: Omit<WorkloadJoin, 'lookbackSeconds'>;
  global: readonly Matcher[];
  window: { start: number; end: number };
  timelineStep: number;
  catalog: MetricCatalog;
}

interface KindParts {
  kind: PoolKind;
  size: string;
  sum: Array<[string, string]>;
  max: Array<[string, string]>;
}

function kinds(options: PoolCollectorOptions): KindParts[] {
  const g = options.global;
  const has = (name: string): boolean => options.catalog.present.includes(name);
  const s = (metric: string, matchers: Matcher[] = []): string => selector(metric, matchers, g);
  const R = duration(Math.max(options.timelineStep, 300));
  const W = duration(options.window.end - options.window.start);
  // Sizes are the highest over the window, sampled every 5 minutes — or every step in a window so short
  // that a 5-minute grid might not put a single sample inside it.
  const sizeStep = duration(Math.min(300, options.timelineStep));
  const named = (expr: string, from: string): string => `label_replace(${expr}, "${POOL}", "$1", "${from}", "(.*)")`;
  const out: KindParts[] = [];
  if (has('hikaricp_connections_max')) {
    const by = 'namespace, pod, pool';
    out.push({
      kind: 'hikaricp',
      size: named(`max by (${by}) (last_over_time(${s('hikaricp_connections_max')}[${W}]))`, 'pool'),
      sum: [
        ['waiting', named(`sum by (${by}) (${s('hikaricp_connections_pending')})`, 'pool')],
        ['timeouts', named(`sum by (${by}) (rate(${s('hikaricp_connections_timeout_total')}[${R}]))`, 'pool')],
        ['waitSum', named(`sum by (${by}) (rate(${s('hikaricp_connections_acquire_seconds_sum')}[${R}]))`, 'pool')],
        ['waitCount', named(`sum by (${by}) (rate(${s('hikaricp_connections_acquire_seconds_count')}[${R}]))`, 'pool')],
      ],
      max: [['utilization', named(`max by (${by}) (${s('hikaricp_connections_active')} / ${s('hikaricp_connections_max')})`, 'pool')]],
    });
  }
  if (has('go_sql_max_open_connections')) {
    const by = 'namespace, pod, db_name';
    const maxOpen = `(${s('go_sql_max_open_connections')} > 0)`;
    out.push({
      kind: 'go-sql',
      size: named(`max by (${by}) (last_over_time(${s('go_sql_max_open_connections')}[${W}]))`, 'db_name'),
      sum: [
        ['waiting', named(`sum by (${by}) (rate(${s('go_sql_wait_count_total')}[${R}]))`, 'db_name')],
        ['waitSum', named(`sum by (${by}) (rate(${s('go_sql_wait_duration_seconds_total')}[${R}]))`, 'db_name')],
        ['waitCount', named(`sum by (${by}) (rate(${s('go_sql_wait_count_total')}[${R}]))`, 'db_name')],
      ],
      max: [['utilization', named(`max by (${by}) (${s('go_sql_in_use_connections')} / ${maxOpen})`, 'db_name')]],
    });
  }
  if (has('pgbouncer_pools_client_waiting_connections')) {
    const by = 'namespace, pod, database';
    const poolSize = `max by (${by}) (label_replace(${s('pgbouncer_databases_pool_size')}, "database", "$1", "name", "(.+)"))`;
    out.push({
      kind: 'pgbouncer',
      size: named(`max by (${by}) (max_over_time((${poolSize})[${W}:${sizeStep}]))`, 'database'),
      sum: [['waiting', named(`sum by (${by}) (${s('pgbouncer_pools_client_waiting_connections')})`, 'database')]],
      max: [
        ['utilization', named(`sum by (${by}) (${s('pgbouncer_pools_server_active_connections')}) / on (${by}) (${poolSize} > 0)`, 'database')],
        ['wait', named(`max by (${by}) (${s('pgbouncer_pools_client_maxwait_seconds')})`, 'database')],
      ],
    });
  }
  if (has('pg_settings_max_connections')) {
    const by = 'namespace, pod, server';
    const usable = `max by (${by}) (${s('pg_settings_max_connections')} - ${s('pg_settings_superuser_reserved_connections')})`;
    out.push({
      kind: 'postgres',
      size: named(`max by (${by}) (max_over_time((${usable})[${W}:${sizeStep}]))`, 'server'),
      sum: [],
      max: [['utilization', named(`sum by (${by}) (${s('pg_stat_activity_count')}) / on (${by}) (${usable} > 0)`, 'server')]],
    });
  }
  return out;
}

export async function collectPools(runner: QueryRunner, options: PoolCollectorOptions): Promise<PoolFacts[]> {
  const all = kinds(options);
  if (all.length === 0) return [];
  const w = options.window.end - options.window.start;
  const lookback = Math.max(options.timelineStep, 300);
  const sizeQueries = joinedQueries(all.map((k) => ({ part: k.kind, expr: k.size, lookbackSeconds: w })), options.join, 'max', [POOL]);
  const sumParts: PodPart[] = all.flatMap((k) => k.sum.map(([name, expr]) => ({ part: `${k.kind}:${name}`, expr, lookbackSeconds: lookback })));
  const maxParts: PodPart[] = all.flatMap((k) => k.max.map(([name, expr]) => ({ part: `${k.kind}:${name}`, expr, lookbackSeconds: lookback })));
  const sumQueries = sumParts.length > 0 ? joinedQueries(sumParts, options.join, 'sum', [POOL]) : [];
  const maxQueries = joinedQueries(maxParts, options.join, 'max', [POOL]);
  const sizeText = sizeQueries.join('\n');
  const timelineText = [...sumQueries, ...maxQueries].join('\n');

  const pools = new Map<string, PoolFacts>();
  const poolFor = (kind: PoolKind, labels: Readonly<Record<string, string>>): PoolFacts => {
    const k = `${kind}\u0000${keyOf(labels, [POOL])}`;
    let p = pools.get(k);
    if (!p) {
      const owner: WorkloadKey = { namespace: labels.namespace ?? '', workload: labels.workload ?? '', workloadType: labels.workload_type ?? '' };
      p = { kind, owner, name: labels[POOL] ?? '', size: { value: null, query: sizeText }, timeline: { utilization: null, waiting: null, timeouts: null, wait: null } };
      pools.set(k, p);
    }
    return p;
  };
  for (const s of await runner.instant(sizeQueries)) {
    const kind = s.labels[PART] as PoolKind | undefined;
    if (kind) poolFor(kind, s.labels).size.value = s.value;
  }
  const parts = new Map<PoolFacts, Map<string, Timeline>>();
  const step = options.timelineStep;
  for (const s of await runner.range([...sumQueries, ...maxQueries], step)) {
    const [kind, name] = (s.labels[PART] ?? '').split(':') as [PoolKind, string | undefined];
    if (!name) continue;
    const pool = poolFor(kind, s.labels);
    const m = parts.get(pool) ?? new Map<string, Timeline>();
    parts.set(pool, m);
    const t = timelineOf(s, step, timelineText);
    if (t) m.set(name, t);
  }
  for (const [pool, m] of parts) {
    pool.timeline.utilization = m.get('utilization') ?? null;
    pool.timeline.waiting = m.get('waiting') ?? null;
    pool.timeline.timeouts = m.get('timeouts') ?? null;
    pool.timeline.wait = m.get('wait') ?? ratioTimeline(m.get('waitSum') ?? null, m.get('waitCount') ?? null, timelineText);
  }
  return [...pools.values()];
}
