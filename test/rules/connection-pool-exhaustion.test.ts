import { describe, expect, it } from 'vitest';
import type { AnalysisContext, PoolFacts, Timeline } from '../../core/analysis/context';
import { runRules } from '../../core/analysis/engine';
import { connectionPoolExhaustion, sustainedSeconds, sustainedSteps } from '../../rules/connection-pool-exhaustion';
import { context, daily, END, pool, service, timeline } from './fixtures';

/**
 * The injected shape (checkout/order: HikariCP pool of 10 full every evening, hundreds of threads
 * pending, acquire timeouts, p99 in seconds) against the healthy controls (catalog's database/sql pool
 * that never waits, payment's pgbouncer pool far from full), the rollout surge that takes PostgreSQL
 * past its limit for two minutes, and pools that are busy but not in anyone's way.
 */
const q = (name: string): { query: string } => ({ query: `${name}_query` });
const EVENING = (peak: number, base = 0): ((i: number) => number) => daily(base, peak);

function hikari(over: { utilization?: (i: number) => number | null; waiting?: ((i: number) => number | null) | null; timeouts?: ((i: number) => number) | null; wait?: ((i: number) => number) | null; size?: number | null; workload?: string } = {}): PoolFacts {
  const opt = <T,>(v: T | null | undefined, fallback: T): T | null => (v === null ? null : (v ?? fallback));
  const waiting = opt(over.waiting, EVENING(40));
  const timeouts = opt(over.timeouts, EVENING(5));
  const wait = opt(over.wait, EVENING(0.3, 0.002));
  return pool({
    kind: 'hikaricp',
    workload: over.workload ?? 'order',
    owner: { namespace: 'checkout', workload: over.workload ?? 'order', workloadType: 'Deployment' },
    size: over.size === undefined ? 10 : over.size,
    timeline: {
      utilization: timeline(over.utilization ?? EVENING(1, 0.3), q('utilization')),
      waiting: waiting ? timeline(waiting, q('waiting')) : null,
      timeouts: timeouts ? timeline(timeouts, q('timeouts')) : null,
      wait: wait ? timeline(wait, q('wait')) : null,
    },
  });
}

const orderSlowAtPeak = service({ namespace: 'checkout', name: 'order', p99: timeline(EVENING(2.1, 0.15)) });
const orderFlat = service({ namespace: 'checkout', name: 'order', p99: timeline(() => 0.15) });

function goSql(utilization: (i: number) => number, waits: (i: number) => number, size = 20): PoolFacts {
  return pool({
    kind: 'go-sql',
    workload: 'catalog',
    name: 'catalog',
    owner: { namespace: 'storefront', workload: 'catalog', workloadType: 'Deployment' },
    size,
    timeline: { utilization: timeline(utilization, q('utilization')), waiting: timeline(waits, q('waiting')), timeouts: null, wait: null },
  });
}
const catalogSlowAtPeak = service({ namespace: 'storefront', name: 'catalog', p99: timeline(EVENING(0.8, 0.05)) });

function pgbouncer(utilization: (i: number) => number, waiting: (i: number) => number, maxwait: (i: number) => number): PoolFacts {
  return pool({
    kind: 'pgbouncer',
    workload: 'pgbouncer',
    name: 'payments',
    owner: { namespace: 'data', workload: 'pgbouncer', workloadType: 'Deployment' },
    size: 20,
    timeline: { utilization: timeline(utilization, q('utilization')), waiting: timeline(waiting, q('waiting')), timeouts: null, wait: timeline(maxwait, q('maxwait')) },
  });
}

function postgres(utilization: Timeline): PoolFacts {
  return pool({
    kind: 'postgres',
    workload: 'postgres',
    name: 'localhost:5432',
    owner: { namespace: 'data', workload: 'postgres', workloadType: 'StatefulSet' },
    size: 97,
    timeline: { utilization, waiting: null, timeouts: null, wait: null },
  });
}

/** PostgreSQL at 70 %, except a rollout surge to 101 % lasting `minutes` at scrape resolution. */
function surge(minutes: number): Timeline {
  const step = 60;
  const points = 7 * 1440;
  const at = points - 3000;
  return timeline((i) => (i >= at && i < at + minutes ? 1.01 : 0.7), { step, points, ...q('pg_utilization') });
}

interface Case {
  name: string;
  ctx: AnalysisContext;
  severity: 'critical' | 'warning' | null;
  target?: string;
  summary?: RegExp[];
  notEvaluated?: RegExp;
}

const cases: Case[] = [
  {
    name: 'HikariCP full every evening with waiters, timeouts and p99 up (checkout/order): critical',
    ctx: context({ pools: [hikari()], services: [orderSlowAtPeak] }),
    severity: 'critical',
    target: 'checkout/Deployment/order',
    summary: [/HikariCP pool HikariPool-1 of checkout\/order at its max of 10 connections per pod/, /for 22\.2 h this week in 7 episodes \(longest 3\.2 h\)/, /up to 40 threads waiting/, /p99 2\.1 s while saturated vs 150 ms otherwise/, /≈ 399,000 acquire timeouts \(peak 5\/s\)/, /mean acquire wait 300 ms/],
  },
  {
    name: 'HikariCP full with waiters and p99 up, no timeouts: warning',
    ctx: context({ pools: [hikari({ timeouts: () => 0 })], services: [orderSlowAtPeak] }),
    severity: 'warning',
    target: 'checkout/Deployment/order',
  },
  {
    name: 'no HTTP metrics, but acquiring a connection takes 300 ms while full: warning, latency not judged',
    ctx: context({ pools: [hikari({ timeouts: () => 0 })] }),
    severity: 'warning',
    summary: [/latency not judged/],
  },
  {
    name: 'database/sql pool at max_open with waits while p99 rises: warning',
    ctx: context({ pools: [goSql(EVENING(1, 0.2), EVENING(12))], services: [catalogSlowAtPeak] }),
    severity: 'warning',
    target: 'storefront/Deployment/catalog',
    summary: [/database\/sql pool catalog of storefront\/catalog at its max_open of 20/, /up to 12 waits\/s/],
  },
  {
    name: 'database/sql pool full and requests fail while it is: critical',
    ctx: context({ pools: [goSql(EVENING(1, 0.2), EVENING(12))], services: [service({ namespace: 'storefront', name: 'catalog', p99: timeline(() => 0.05), errorRatio: timeline(EVENING(0.04, 0.001)) })] }),
    severity: 'critical',
    summary: [/error ratio 4\.0 % while saturated vs 0\.1 % otherwise/],
  },
  {
    name: 'pgbouncer: every server connection busy and clients waiting each evening',
    ctx: context({ pools: [pgbouncer(EVENING(1, 0.3), EVENING(15), EVENING(2.5))] }),
    severity: 'warning',
    target: 'data/Deployment/pgbouncer',
    summary: [/pgbouncer pool payments of data\/pgbouncer at its pool_size of 20 server connections/, /up to 15 clients waiting/, /longest client wait 2\.5 s/],
  },
  {
    name: 'PostgreSQL above 90 % of usable connections every evening: warning',
    ctx: context({ pools: [postgres(timeline(EVENING(0.95, 0.7), q('pg_utilization')))] }),
    severity: 'warning',
    target: 'data/StatefulSet/postgres',
    summary: [/its 97 usable connections \(max_connections − superuser_reserved_connections\)/, /peak 95 %/],
  },
  {
    name: 'PostgreSQL at 100 % for hours: refusing clients, critical',
    ctx: context({ pools: [postgres(timeline(EVENING(1, 0.7), q('pg_utilization')))] }),
    severity: 'critical',
    summary: [/new connections are refused/],
  },
  // Must not fire.
  {
    name: 'a rollout surge: PostgreSQL past 100 % for two minutes at scrape resolution',
    ctx: context({ pools: [postgres(surge(2))] }),
    severity: null,
  },
  {
    name: 'a rollout surge seen in one ten-minute sample',
    ctx: context({ pools: [postgres(timeline((i) => (i === 700 ? 1.01 : 0.7), q('pg_utilization')))] }),
    severity: null,
  },
  {
    name: 'HikariCP full for single samples only (one ten-minute step each evening)',
    ctx: context({ pools: [hikari({ utilization: (i) => (i % 144 === 120 ? 1 : 0.3), waiting: (i) => (i % 144 === 120 ? 30 : 0) })], services: [orderSlowAtPeak] }),
    severity: null,
  },
  {
    name: 'HikariCP all busy but nobody waits: a well-sized pool at work',
    ctx: context({ pools: [hikari({ waiting: () => 0 })], services: [orderSlowAtPeak] }),
    severity: null,
  },
  {
    name: 'threads pending while the pool is half used (not exhaustion)',
    ctx: context({ pools: [hikari({ utilization: EVENING(0.5, 0.2) })], services: [orderSlowAtPeak] }),
    severity: null,
  },
  {
    name: 'full with a few waiters, but p99 flat, waits short and no timeouts: nobody feels it',
    ctx: context({ pools: [hikari({ waiting: EVENING(2), timeouts: () => 0, wait: EVENING(0.01, 0.001) })], services: [orderFlat] }),
    severity: null,
  },
  {
    name: 'catalog control: database/sql pool at 15 % that never waits',
    ctx: context({ pools: [goSql(EVENING(0.15, 0), () => 0)], services: [catalogSlowAtPeak] }),
    severity: null,
  },
  {
    name: 'payment control: pgbouncer pool far from full, no client waits',
    ctx: context({ pools: [pgbouncer(EVENING(0.05, 0), () => 0, () => 0)] }),
    severity: null,
  },
  // Not evaluated.
  {
    name: 'database/sql with max_open 0 (unlimited)',
    ctx: context({ pools: [goSql(() => 0, () => 0, 0)] }),
    severity: null,
    notEvaluated: /max_open_connections is 0 \(unlimited\)/,
  },
  {
    name: 'no utilisation timeline',
    ctx: context({ pools: [{ ...hikari(), timeline: { utilization: null, waiting: null, timeouts: null, wait: null } }] }),
    severity: null,
    notEvaluated: /no utilisation timeline/,
  },
  {
    name: 'full with waiters but nothing to see a symptom with',
    ctx: context({ pools: [hikari({ timeouts: null, wait: null })] }),
    severity: null,
    notEvaluated: /no p99 timeline \(no HTTP server metrics map to it\)/,
  },
];

/**
 * How long saturation must last scales with the window under two hours (a twelfth of it) and stays at
 * ten minutes from two hours up, never under two samples at the timeline's step.
 */
const sustainCases: Array<{ window: string; windowSeconds: number; step: number; seconds: number; steps: number }> = [
  { window: 'a week at its default step', windowSeconds: 7 * 86400, step: 600, seconds: 600, steps: 2 },
  { window: 'a week at one-minute resolution', windowSeconds: 7 * 86400, step: 60, seconds: 600, steps: 10 },
  { window: 'a day', windowSeconds: 86400, step: 300, seconds: 600, steps: 2 },
  { window: 'two hours', windowSeconds: 7200, step: 60, seconds: 600, steps: 10 },
  { window: 'one hour', windowSeconds: 3600, step: 60, seconds: 300, steps: 5 },
  { window: 'half an hour at 15 s', windowSeconds: 1800, step: 15, seconds: 150, steps: 10 },
  { window: 'a quarter of an hour at 10 s', windowSeconds: 900, step: 10, seconds: 75, steps: 8 },
  { window: 'five minutes at 10 s', windowSeconds: 300, step: 10, seconds: 25, steps: 3 },
  { window: 'four minutes at 10 s', windowSeconds: 240, step: 10, seconds: 20, steps: 2 },
  { window: 'two minutes at 15 s', windowSeconds: 120, step: 15, seconds: 10, steps: 2 },
];

/** A pgbouncer pool of 2 in a short window at `step`: full with 48 clients waiting at samples [from, to). */
function pgbouncerBurst(windowSeconds: number, step: number, from: number, to: number): AnalysisContext {
  const points = windowSeconds / step;
  const at = (busy: number, idle: number) => (i: number): number => (i >= from && i < to ? busy : idle);
  const t = (f: (i: number) => number, name: string): Timeline => timeline(f, { step, points, ...q(name) });
  return context({
    window: { start: END - windowSeconds, end: END },
    pools: [
      pool({
        kind: 'pgbouncer',
        workload: 'pgbouncer',
        name: 'app',
        owner: { namespace: 'data', workload: 'pgbouncer', workloadType: 'Deployment' },
        size: 2,
        timeline: { utilization: t(at(1, 0), 'utilization'), waiting: t(at(48, 0), 'waiting'), timeouts: null, wait: t(at(2, 0), 'maxwait') },
      }),
    ],
  });
}

const shortWindowCases: Array<{ name: string; ctx: AnalysisContext; fires: boolean; summary?: RegExp }> = [
  { name: 'a minute of exhaustion in a four-minute window at 10 s fires', ctx: pgbouncerBurst(240, 10, 10, 16), fires: true, summary: /for 60 s in 4 min in 1 episode \(longest 60 s\); up to 48 clients waiting; longest client wait 2 s/ },
  { name: 'the same minute in half an hour at 10 s does not (a twelfth is 2.5 min)', ctx: pgbouncerBurst(1800, 10, 100, 106), fires: false },
  { name: 'three minutes of it in half an hour at 10 s do', ctx: pgbouncerBurst(1800, 10, 100, 118), fires: true, summary: /for 3 min in 30 min/ },
  { name: 'one 10 s sample in a four-minute window does not', ctx: pgbouncerBurst(240, 10, 10, 11), fires: false },
  { name: 'nine minutes in an hour at one-minute resolution fire', ctx: pgbouncerBurst(3600, 60, 30, 39), fires: true },
  { name: 'the same nine minutes in a week at one-minute resolution do not (ten minutes, as before)', ctx: pgbouncerBurst(7 * 86400, 60, 3000, 3009), fires: false },
];

describe('connection-pool-exhaustion sustain', () => {
  it.each(sustainCases)('$window: $seconds s, $steps samples', ({ windowSeconds, step, seconds, steps }) => {
    expect(sustainedSeconds(windowSeconds)).toBeCloseTo(seconds, 9);
    expect(sustainedSteps(windowSeconds, step)).toBe(steps);
  });

  it.each(shortWindowCases)('$name', ({ ctx, fires, summary }) => {
    const { findings } = runRules(ctx, [connectionPoolExhaustion]);
    expect(findings).toHaveLength(fires ? 1 : 0);
    if (summary) expect(findings[0]?.summary).toMatch(summary);
  });
});

describe('connection-pool-exhaustion', () => {
  it.each(cases)('$name', ({ ctx, severity, target, summary, notEvaluated }) => {
    const result = runRules(ctx, [connectionPoolExhaustion]);
    const findings = result.findings;
    if (severity === null) expect(findings).toEqual([]);
    else {
      expect(findings).toHaveLength(1);
      const f = findings[0];
      expect(f?.severity).toBe(severity);
      if (target) expect(`${f?.target.namespace}/${f?.target.kind}/${f?.target.name}`).toBe(target);
      for (const re of summary ?? []) expect(f?.summary).toMatch(re);
      expect(f?.evidence.length).toBeGreaterThanOrEqual(2);
      for (const e of f?.evidence ?? []) expect(e.query).toMatch(/_query$/);
      expect(f?.remediation.length).toBeGreaterThan(50);
    }
    if (notEvaluated) expect(result.notEvaluated.map((n) => n.missing.join(' '))).toContainEqual(expect.stringMatching(notEvaluated));
  });

  it('is not evaluated without connection-pool metrics', () => {
    const result = runRules(context({ missingFeatures: ['connection-pools'] }), [connectionPoolExhaustion]);
    expect(result.notEvaluated).toEqual([{ rule: 'connection-pool-exhaustion', target: null, missing: ['connection-pools metrics are missing'] }]);
  });

  it('charts the waiters and timeouts over the window', () => {
    const [f] = runRules(context({ pools: [hikari()], services: [orderSlowAtPeak] }), [connectionPoolExhaustion]).findings;
    const series = f?.evidence.find((e) => e.query === 'waiting_query')?.series;
    expect(series?.end).toBe(END);
    expect(f?.evidence.map((e) => e.query)).toEqual(expect.arrayContaining(['utilization_query', 'pool_size_query', 'waiting_query', 'timeouts_query', 'wait_query', 'p99_query']));
    expect(f?.evidence.filter((e) => e.query === 'p99_query').map((e) => e.value)).toEqual([2.1, 0.15]);
  });
});
