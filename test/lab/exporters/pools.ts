import { STEP_SECONDS } from '../model/clock';
import type { Family, Labels, ScrapeTarget, SeriesSet } from '../model/series-set';
import type { PodLife } from '../model/workload';
import { counterFromRate, gaugeOverLife } from './common';

/** Client-side connection pools as their libraries expose them. */

export interface PoolState {
  /** Connections in use at each step. */
  active: (step: number) => number;
  /** Threads / goroutines waiting for a connection. */
  pending: (step: number) => number;
  /** Acquisitions per second. */
  acquisitions: (step: number) => number;
  /** Mean wait for a connection in seconds. */
  meanWait: (step: number) => number;
  /** Acquisitions that gave up (timeouts) per second. */
  timeouts: (step: number) => number;
  max: number;
  /** Open connections (HikariCP keeps minimumIdle open; database/sql keeps maxIdle). */
  open: (step: number) => number;
}

const hikari = {
  active: { name: 'hikaricp_connections_active', type: 'gauge', help: 'Active connections' },
  idle: { name: 'hikaricp_connections_idle', type: 'gauge', help: 'Idle connections' },
  pending: { name: 'hikaricp_connections_pending', type: 'gauge', help: 'Pending threads' },
  total: { name: 'hikaricp_connections', type: 'gauge', help: 'Total connections' },
  max: { name: 'hikaricp_connections_max', type: 'gauge', help: 'Max connections' },
  min: { name: 'hikaricp_connections_min', type: 'gauge', help: 'Min connections' },
  timeout: { name: 'hikaricp_connections_timeout', type: 'counter', help: 'Connection timeout total count' },
  acquire: { name: 'hikaricp_connections_acquire_seconds', type: 'summary', help: 'Connection acquire time' },
  acquireMax: { name: 'hikaricp_connections_acquire_seconds_max', type: 'gauge', help: 'Connection acquire time' },
} satisfies Record<string, Family>;

/** HikariCP through Micrometer (Spring Boot): label `pool`, plus the app's common tags. */
export function emitHikari(set: SeriesSet, pod: PodLife, container: string, target: ScrapeTarget, labels: Labels, pool: PoolState): void {
  const app = pod.containers.find((c) => c.spec.name === container);
  if (!app) throw new Error(`${pod.name} has no container ${container}`);
  const g = (f: Family, value: (i: number) => number): void => set.add(f, f.name, labels, gaugeOverLife(pod, value), target);
  g(hikari.active, (i) => Math.round(pool.active(i)));
  g(hikari.idle, (i) => Math.max(0, Math.round(pool.open(i) - pool.active(i))));
  g(hikari.pending, (i) => Math.round(pool.pending(i)));
  g(hikari.total, (i) => Math.round(pool.open(i)));
  g(hikari.max, () => pool.max);
  g(hikari.min, () => pool.max);
  set.add(hikari.timeout, 'hikaricp_connections_timeout_total', labels, counterFromRate(pool.timeouts, app, STEP_SECONDS, true), target);
  set.add(hikari.acquire, 'hikaricp_connections_acquire_seconds_count', labels, counterFromRate(pool.acquisitions, app, STEP_SECONDS, true), target);
  set.add(hikari.acquire, 'hikaricp_connections_acquire_seconds_sum', labels, counterFromRate((i) => pool.acquisitions(i) * pool.meanWait(i), app, STEP_SECONDS), target);
  g(hikari.acquireMax, (i) => pool.meanWait(i) * 3 + 0.001);
}

const goSql = {
  maxOpen: { name: 'go_sql_max_open_connections', type: 'gauge', help: 'Maximum number of open connections to the database.' },
  open: { name: 'go_sql_open_connections', type: 'gauge', help: 'The number of established connections both in use and idle.' },
  inUse: { name: 'go_sql_in_use_connections', type: 'gauge', help: 'The number of connections currently in use.' },
  idle: { name: 'go_sql_idle_connections', type: 'gauge', help: 'The number of idle connections.' },
  waitCount: { name: 'go_sql_wait_count', type: 'counter', help: 'The total number of connections waited for.' },
  waitDuration: { name: 'go_sql_wait_duration_seconds', type: 'counter', help: 'The total time blocked waiting for a new connection.' },
} satisfies Record<string, Family>;

/** client_golang's collectors.NewDBStatsCollector: const label `db_name`. */
export function emitGoSql(set: SeriesSet, pod: PodLife, container: string, target: ScrapeTarget, dbName: string, pool: PoolState): void {
  const app = pod.containers.find((c) => c.spec.name === container);
  if (!app) throw new Error(`${pod.name} has no container ${container}`);
  const labels: Labels = { db_name: dbName };
  const g = (f: Family, value: (i: number) => number): void => set.add(f, f.name, labels, gaugeOverLife(pod, value), target);
  g(goSql.maxOpen, () => pool.max);
  g(goSql.open, (i) => Math.round(pool.open(i)));
  g(goSql.inUse, (i) => Math.round(pool.active(i)));
  g(goSql.idle, (i) => Math.max(0, Math.round(pool.open(i) - pool.active(i))));
  const waits = (i: number): number => pool.acquisitions(i) * (pool.pending(i) > 0 ? 0.3 : 0);
  set.add(goSql.waitCount, 'go_sql_wait_count_total', labels, counterFromRate(waits, app, STEP_SECONDS, true), target);
  set.add(goSql.waitDuration, 'go_sql_wait_duration_seconds_total', labels, counterFromRate((i) => waits(i) * pool.meanWait(i), app, STEP_SECONDS), target);
}
