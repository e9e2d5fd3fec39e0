import type { AnalysisContext, PoolFacts, Timeline } from '../core/analysis/context';
import type { RuleFinding, RuleModule, RuleNotEvaluated, RuleResult } from '../core/analysis/rule';
import type { TargetRef } from '../core/api/report';
import type { RangePoint } from '../core/prometheus/query-api';
import { episodes, evidence, maxOf, percent, quantile, seconds, serviceOf } from './lib/signals';

/**
 * A connection pool at its ceiling with callers queueing for it, long enough to matter, while the
 * owner feels it. Pool size caps concurrency towards the database: once every connection is busy,
 * each further request waits (Little's law: the queue grows until arrivals fall or holds shorten), so
 * the wait lands on the caller's latency and, past the acquire timeout, turns into errors. A pool
 * that is merely busy, or full for a rollout's minute, is not the bottleneck; one that is full with
 * waiters for an evening while p99 climbs is.
 */

/** Busy ÷ size that counts as full: diagnostics §5a (POOL-APP-SATURATED, pgbouncer server active > 0.9). */
export const SATURATED_UTILIZATION = 0.9;
/** PostgreSQL at or above all usable connections refuses the next client ("too many clients"). */
export const REFUSING_UTILIZATION = 1;
/** Least length of one saturated episode: the mixin's `for: 10m` (PostgreSQLHighConnections, POOL-APP-SATURATED)… */
export const SUSTAINED_SECONDS = 600;
/**
 * …or, in a window shorter than two hours, this share of it. Ten minutes is the bar of an alert that
 * watches all the time; an investigation of the last half hour asks about incidents of minutes, and
 * would never see one under ten minutes (nor anything at all in a window under ten). A condition
 * counts as sustained at the scale it is looked at when it fills a twelfth of the window: the ratio of
 * a multi-window burn alert's short window to its long one (5m/1h, 30m/6h, 2h/1d, 6h/3d), which
 * Headroom's SLO burn uses too. From two hours up (a week included) the bar stays at ten minutes.
 */
export const SUSTAINED_WINDOW_SHARE = 1 / 12;
/** …and never fewer than this many consecutive samples, so one sampled instant (a rollout surge) cannot decide. */
export const MIN_STEPS = 2;
/** p99 while saturated must be this many times p99 otherwise (the shared `degradedTimes` factor)… */
export const P99_FACTOR = 2;
/** …and at least this slow, so a fast service's jitter does not count. */
export const P99_FLOOR_SECONDS = 0.05;
/** Mean wait for a connection that callers feel: diagnostics §5a (slow acquire > 50 ms). */
export const SLOW_ACQUIRE_SECONDS = 0.05;
/** Error ratio while saturated that counts as failing requests (1 % = a 99 % objective's whole budget)… */
export const ERROR_RATIO_FLOOR = 0.01;
/** …and at least this many times the error ratio otherwise, so errors the pool did not cause do not count. */
export const ERROR_FACTOR = 2;

const EPSILON = 1e-9;

/** How long a saturated episode must last, in seconds, in a window of `windowSeconds`. */
export function sustainedSeconds(windowSeconds: number): number {
  return Math.min(SUSTAINED_SECONDS, windowSeconds * SUSTAINED_WINDOW_SHARE);
}

/** The same as consecutive samples at the timeline's `step`: at least MIN_STEPS. */
export function sustainedSteps(windowSeconds: number, step: number): number {
  return Math.max(MIN_STEPS, Math.ceil(sustainedSeconds(windowSeconds) / step - EPSILON));
}

const KIND_TITLE: Record<PoolFacts['kind'], string> = {
  hikaricp: 'HikariCP pool',
  'go-sql': 'database/sql pool',
  pgbouncer: 'pgbouncer pool',
  postgres: 'PostgreSQL server',
};

const WAITERS: Record<PoolFacts['kind'], string> = {
  hikaricp: 'threads waiting',
  'go-sql': 'waits/s',
  pgbouncer: 'clients waiting',
  postgres: 'waiting',
};

/** Index of the point of `points` (sorted by time) within half a step of `time`, or -1. */
function indexNear(points: readonly RangePoint[], step: number, time: number): number {
  let lo = 0;
  let hi = points.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = points[mid] as RangePoint;
    if (Math.abs(p.time - time) <= step / 2) return mid;
    if (p.time < time) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Value of a timeline at `time`, or at the nearest point within half a step (timelines may differ in phase). */
function valueNear(t: Timeline, time: number): number | null {
  const i = indexNear(t.points, t.step, time);
  return i < 0 ? null : ((t.points[i] as RangePoint).value ?? null);
}

function median(values: number[]): number | null {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

interface Saturation {
  /** The pool's utilisation timeline: the grid every other series is matched to. */
  grid: Timeline;
  /** Consecutive samples an episode needs at this window and step. */
  minSteps: number;
  /** Steps inside sustained episodes. */
  times: Set<number>;
  /** Steps at or above the bar, sustained or not (excluded from "otherwise"). */
  anyTimes: Set<number>;
  episodes: Array<{ start: number; end: number }>;
  step: number;
}

/**
 * Steps at which the pool is full (utilisation ≥ `bar`) and, where the exporter reports waiters,
 * someone waits; kept only in episodes of at least `minSteps` consecutive samples (sustainedSteps).
 */
function saturation(pool: PoolFacts, utilization: Timeline, bar: number, windowSeconds: number): Saturation {
  const waiting = pool.timeline.waiting;
  const anyTimes = new Set<number>();
  for (const p of utilization.points) {
    if (p.value === null || p.value < bar - EPSILON) continue;
    if (waiting) {
      const w = valueNear(waiting, p.time);
      if (w === null || w <= EPSILON) continue;
    }
    anyTimes.add(p.time);
  }
  const step = utilization.step;
  const minSteps = sustainedSteps(windowSeconds, step);
  const sustained = episodes(anyTimes, step).filter((e) => Math.round((e.end - e.start) / step) + 1 >= minSteps);
  const times = new Set<number>();
  for (const t of anyTimes) if (sustained.some((e) => t >= e.start && t <= e.end)) times.add(t);
  return { grid: utilization, minSteps, times, anyTimes, episodes: sustained, step };
}

/** Values of `t` at sustained saturated steps, and at steps that are not saturated at all. */
function split(t: Timeline | null, sat: Saturation): { during: number[]; otherwise: number[] } | null {
  if (!t || t.points.length === 0) return null;
  const during: number[] = [];
  const otherwise: number[] = [];
  for (const p of t.points) {
    if (p.value === null) continue;
    const i = indexNear(sat.grid.points, sat.step, p.time);
    if (i < 0) continue;
    const time = (sat.grid.points[i] as RangePoint).time;
    if (sat.times.has(time)) during.push(p.value);
    else if (!sat.anyTimes.has(time)) otherwise.push(p.value);
  }
  return { during, otherwise };
}

function timelineFrom(points: readonly RangePoint[], step: number, query: string): Timeline | null {
  return points.length > 0 ? { points: [...points], step, query } : null;
}

interface Symptoms {
  p99: { during: number; otherwise: number; peak: number; rises: boolean; timeline: Timeline } | null;
  errors: { during: number; otherwise: number; rises: boolean } | null;
  /** Acquisitions that gave up over the window (rate × step summed), and the peak rate. */
  timeouts: { total: number; peak: number } | null;
  /** Median and peak mean wait for a connection while saturated. */
  wait: { median: number; peak: number; slow: boolean } | null;
  /** Whether any symptom source exists at all. */
  observable: boolean;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function symptoms(context: AnalysisContext, pool: PoolFacts, sat: Saturation): Symptoms {
  const minSide = sat.minSteps;
  const service = pool.kind === 'hikaricp' || pool.kind === 'go-sql' ? serviceOf(context, pool.owner.namespace, pool.owner.workload) : undefined;
  let p99: Symptoms['p99'] = null;
  let errors: Symptoms['errors'] = null;
  if (service) {
    const red = service.facts.timeline;
    const p99Timeline = timelineFrom(red.p99, red.step, red.queries.p99);
    const s = split(p99Timeline, sat);
    if (p99Timeline && s && s.during.length >= minSide && s.otherwise.length >= minSide) {
      const during = median(s.during) as number;
      const otherwise = median(s.otherwise) as number;
      p99 = { during, otherwise, peak: Math.max(...s.during), rises: during >= otherwise * P99_FACTOR && during >= P99_FLOOR_SECONDS, timeline: p99Timeline };
    }
    // The error ratio divides the errors part of the rps query by its total part.
    const e = split(timelineFrom(red.errorRatio, red.step, red.queries.rps), sat);
    if (e && e.during.length >= minSide && e.otherwise.length >= minSide) {
      const during = mean(e.during);
      const otherwise = mean(e.otherwise);
      errors = { during, otherwise, rises: during >= ERROR_RATIO_FLOOR && during >= otherwise * ERROR_FACTOR };
    }
  }
  const t = pool.timeline.timeouts;
  const timeouts = t && t.points.length > 0
    ? { total: t.points.reduce((sum, p) => sum + (p.value ?? 0) * t.step, 0), peak: maxOf(t) ?? 0 }
    : null;
  let wait: Symptoms['wait'] = null;
  const w = split(pool.timeline.wait, sat);
  if (w && w.during.length > 0) {
    const m = median(w.during) as number;
    wait = { median: m, peak: Math.max(...w.during), slow: m >= SLOW_ACQUIRE_SECONDS };
  }
  const observable = p99 !== null || errors !== null || timeouts !== null || (pool.timeline.wait?.points.length ?? 0) > 0;
  return { p99, errors, timeouts, wait, observable };
}

function ownerTarget(pool: PoolFacts): TargetRef {
  return { namespace: pool.owner.namespace, kind: pool.owner.workloadType, name: pool.owner.workload };
}

function windowWords(context: AnalysisContext): string {
  const days = (context.window.end - context.window.start) / 86400;
  if (Math.abs(days - 7) < 0.05) return 'this week';
  return days >= 2 ? `in ${Number(days.toFixed(1))} days` : `in ${seconds(context.window.end - context.window.start)}`;
}

function count(n: number): string {
  return n >= 1000 ? Math.round(n).toLocaleString('en-US') : String(Number(n.toFixed(n < 10 ? 1 : 0)));
}

function sizeWords(pool: PoolFacts, size: number): string {
  switch (pool.kind) {
    case 'hikaricp':
      return `its max of ${size} connections per pod`;
    case 'go-sql':
      return `its max_open of ${size} connections per pod`;
    case 'pgbouncer':
      return `its pool_size of ${size} server connections`;
    case 'postgres':
      return `its ${size} usable connections (max_connections − superuser_reserved_connections)`;
  }
}

function remediation(pool: PoolFacts, label: string): string {
  switch (pool.kind) {
    case 'hikaricp':
    case 'go-sql':
      return (
        `Find out why connections are held so long before adding more: slow queries or long transactions on the database ` +
        `(${pool.kind === 'hikaricp' ? 'hikaricp_connections_usage_seconds' : 'time in use per query'}, pg_stat_statements) — a bigger pool in front of a slow database only moves the queue there. ` +
        `Raise the pool size of ${label} only if the database has room for every replica's pool at maxReplicas (see hpa-amplifies-db), ` +
        'and scale on the pool (pending threads, acquire time) or on latency rather than on CPU: a pod waiting for a connection burns no CPU.'
      );
    case 'pgbouncer':
      return (
        `Clients queue in pgbouncer ${label} because every server connection of the pool is busy: shorten the transactions behind it ` +
        '(transaction pooling releases a connection only at COMMIT), or raise default_pool_size / reserve_pool_size if PostgreSQL has connections to spare ' +
        '(max_connections − superuser_reserved − what other clients hold).'
      );
    case 'postgres':
      return (
        `PostgreSQL ${label} runs out of connections: put a transaction-mode pooler (pgbouncer) in front of the applications, ` +
        'cap each application pool so that the sum at maxReplicas fits, and close idle connections (HikariCP minimumIdle, go_sql SetMaxIdleConns). ' +
        'Raising max_connections costs memory per backend and contention; do it last.'
      );
  }
}

function evaluatePool(context: AnalysisContext, pool: PoolFacts, out: RuleResult): void {
  const target = ownerTarget(pool);
  const label = `${pool.owner.namespace}/${pool.owner.workload}`;
  const what = `${KIND_TITLE[pool.kind]} ${pool.name} of ${label}`;
  const size = pool.size.value;
  const utilization = pool.timeline.utilization;
  if (pool.kind === 'go-sql' && size === 0) {
    out.notEvaluated.push({ target, missing: [`${what}: max_open_connections is 0 (unlimited), so the pool never fills; the limit that matters is the database's max_connections`] });
    return;
  }
  if (size === null || size <= 0 || !utilization || utilization.points.length === 0) {
    out.notEvaluated.push({ target, missing: [`${what}: ${size === null || size <= 0 ? 'no pool size' : 'no utilisation timeline'} (busy connections ÷ size), so fullness cannot be judged`] });
    return;
  }
  const windowSeconds = context.window.end - context.window.start;
  const sat = saturation(pool, utilization, SATURATED_UTILIZATION, windowSeconds);
  if (sat.episodes.length === 0) return;

  const sym = symptoms(context, pool, sat);
  const hours = sat.times.size * sat.step;
  const longest = Math.max(...sat.episodes.map((e) => e.end - e.start + sat.step));
  const waitingPeak = (() => {
    const w = pool.timeline.waiting;
    if (!w) return null;
    const during = split(w, sat)?.during ?? [];
    return during.length > 0 ? Math.max(...during) : null;
  })();
  const utilPeak = maxOf(utilization);

  let symptomatic: boolean;
  let severity: RuleFinding['severity'] = 'warning';
  const notes: string[] = [];
  if (pool.kind === 'postgres') {
    // Nothing waits inside PostgreSQL: at the limit, new clients are refused outright.
    const refusing = saturation(pool, utilization, REFUSING_UTILIZATION, windowSeconds);
    symptomatic = refusing.episodes.length > 0;
    if (symptomatic) {
      severity = 'critical';
      notes.push(`at or above 100 % for ${seconds(refusing.times.size * refusing.step)}: new connections are refused ("too many clients")`);
    }
  } else if (pool.kind === 'pgbouncer') {
    // Clients waiting in pgbouncer are the symptom: their queries have not even started.
    symptomatic = true;
  } else {
    if (!sym.observable) {
      out.notEvaluated.push({ target, missing: [`${what} is full with waiters, but nothing shows whether callers feel it: no p99 timeline (${serviceOf(context, pool.owner.namespace, pool.owner.workload) ? 'its HTTP metrics have no histogram buckets' : 'no HTTP server metrics map to it'}), no acquire-time or timeout series`] });
      return;
    }
    const timedOut = (sym.timeouts?.total ?? 0) >= 1;
    symptomatic = (sym.p99?.rises ?? false) || timedOut || (sym.wait?.slow ?? false) || (sym.errors?.rises ?? false);
    if (!symptomatic) return;
    if (timedOut || sym.errors?.rises) severity = 'critical';
    if (!sym.p99) notes.push('latency not judged (no p99 timeline on both sides of the saturation)');
  }

  const parts: string[] = [];
  parts.push(`${what} at ${sizeWords(pool, size)} (≥ ${percent(SATURATED_UTILIZATION)} busy${pool.timeline.waiting ? ' with callers waiting' : ''}) for ${seconds(hours)} ${windowWords(context)} in ${sat.episodes.length} episode${sat.episodes.length === 1 ? '' : 's'} (longest ${seconds(longest)})`);
  if (pool.kind === 'postgres' && utilPeak !== null) parts.push(`peak ${percent(utilPeak)} of usable connections`);
  if (waitingPeak !== null && pool.kind !== 'postgres') parts.push(`up to ${count(waitingPeak)} ${WAITERS[pool.kind]}`);
  const peakWords = (typical: number, peak: number): string => (peak > typical * 1.1 ? `, ${seconds(peak)} at worst` : '');
  if (sym.p99) parts.push(`p99 ${seconds(sym.p99.during)} while saturated${peakWords(sym.p99.during, sym.p99.peak)} vs ${seconds(sym.p99.otherwise)} otherwise`);
  if (sym.timeouts && sym.timeouts.total >= 1) parts.push(`≈ ${count(sym.timeouts.total)} acquire timeouts (peak ${count(sym.timeouts.peak)}/s)`);
  if (sym.wait) parts.push(`${pool.kind === 'pgbouncer' ? 'longest client wait' : 'mean acquire wait'} ${seconds(sym.wait.median)} while saturated${peakWords(sym.wait.median, sym.wait.peak)}`);
  if (sym.errors?.rises) parts.push(`error ratio ${percent(sym.errors.during, 1)} while saturated vs ${percent(sym.errors.otherwise, 1)} otherwise`);
  parts.push(...notes);

  const ev = [
    evidence(`connections busy ÷ size (worst pod)`, utilization.query, utilPeak, 'ratio', utilization),
    evidence(`${pool.kind === 'postgres' ? 'usable connections' : 'pool size'}`, pool.size.query, size, 'connections'),
  ];
  if (pool.timeline.waiting) ev.push(evidence(`${WAITERS[pool.kind]} (peak while saturated)`, pool.timeline.waiting.query, waitingPeak, pool.kind === 'go-sql' ? 'waits/s' : 'count', pool.timeline.waiting));
  if (pool.timeline.timeouts && sym.timeouts) ev.push(evidence('acquire timeouts (peak)', pool.timeline.timeouts.query, sym.timeouts.peak, 'per second', pool.timeline.timeouts));
  if (sym.p99) {
    ev.push(evidence('p99 latency while saturated (median)', sym.p99.timeline.query, sym.p99.during, 'seconds', sym.p99.timeline));
    ev.push(evidence('p99 latency otherwise (median)', sym.p99.timeline.query, sym.p99.otherwise, 'seconds'));
  }
  if (pool.timeline.wait && sym.wait) ev.push(evidence(pool.kind === 'pgbouncer' ? 'longest client wait (peak)' : 'mean acquire wait (peak)', pool.timeline.wait.query, sym.wait.peak, 'seconds', pool.timeline.wait));

  out.findings.push({
    severity,
    target,
    summary: `${parts.join('; ')}.`,
    evidence: ev,
    remediation: remediation(pool, label),
    symptomatic,
  });
}

export const connectionPoolExhaustion: RuleModule = {
  meta: {
    id: 'connection-pool-exhaustion',
    title: 'Connection pool exhausted',
    defaultSeverity: 'warning',
    category: 'saturation',
    requires: ['connection-pools'],
    description: 'A connection pool (HikariCP, database/sql, pgbouncer, PostgreSQL itself) sits at its maximum with callers waiting for ten minutes or more (a twelfth of windows under two hours) while latency, waits or timeouts rise.',
    docs: 'docs/rules/connection-pool-exhaustion.md',
  },
  evaluate(context: AnalysisContext): RuleResult {
    const out: { findings: RuleFinding[]; notEvaluated: RuleNotEvaluated[] } = { findings: [], notEvaluated: [] };
    for (const pool of context.pools) evaluatePool(context, pool, out);
    return out;
  },
};
