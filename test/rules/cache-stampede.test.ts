import { describe, expect, it } from 'vitest';
import type { AnalysisContext, CacheFacts, DatabaseFacts, Timeline } from '../../core/analysis/context';
import { runRules } from '../../core/analysis/engine';
import { cacheStampede, localSpikes, tailProbability } from '../../rules/cache-stampede';
import { cache, context, database, END, timeline } from './fixtures';

/**
 * The injected shape (data/redis-cache: hot keys expire together every six hours, misses ×10 for a few
 * minutes while PostgreSQL commits on `catalog` jump) at scrape resolution, against a cache with steady
 * misses (redis-sessions), misses that spike at other times than the database, a database that spikes
 * all the time, and a one-off flush.
 */
const STEP = 60;
const POINTS = 7 * 1440;
const timeOf = (i: number): number => END - (POINTS - 1 - i) * STEP;
const hourOf = (i: number): number => (((timeOf(i) % 86400) + 86400) % 86400) / 3600;
const at = (values: (i: number) => number | null, query: string): Timeline => timeline(values, { step: STEP, points: POINTS, query });

/** Demand over the day: lowest at 08:00, highest at 20:00 (a smooth wave, ×5 from trough to peak). */
const demand = (i: number): number => 1 + (2 / 3) * (1 + Math.cos(((hourOf(i) - 20) / 24) * 2 * Math.PI));
/** Deterministic jitter in [-1, 1]. */
const jitter = (i: number): number => Math.sin(i * 12.9898) * 0.5 + Math.sin(i * 78.233) * 0.5;

/** Extra misses, minute by minute, when hot keys expire together (as rate windows smear them). */
const PROFILE = [0.26, 0.48, 0.38, 0.23, 0.08];
/** Minutes since the last stampede start, for stampedes at the given hours of the day. */
function stampede(hours: readonly number[], i: number, lagSteps = 0): number {
  const minute = Math.round(hourOf(i) * 60) - lagSteps;
  for (const h of hours) {
    const k = minute - h * 60;
    if (k >= 0 && k < PROFILE.length) return PROFILE[k] as number;
  }
  return 0;
}

const EVERY_SIX_HOURS = [2, 8, 14, 20];
const OFF_BEAT = [5, 11, 17, 23];

function redisCache(hours: readonly number[] | ((i: number) => number)): CacheFacts {
  const extra = typeof hours === 'function' ? hours : (i: number): number => stampede(hours, i);
  return cache({ name: 'redis-cache', missRatio: at((i) => 0.04 + 0.002 * jitter(i) + extra(i), 'miss_ratio_query'), commands: at((i) => 400 * demand(i), 'commands_query') });
}

const redisSessions = cache({ name: 'redis-sessions', missRatio: at((i) => 0.01 + 0.0005 * jitter(i), 'miss_ratio_query'), commands: at((i) => 200 * demand(i), 'commands_query') });

/** Commits on `catalog`: follow demand, plus cache fills when the hot keys are missing. */
function catalogDb(spikes: (i: number) => number): DatabaseFacts {
  return database({ name: 'catalog', commits: at((i) => 10 * demand(i) * (1 + 0.05 * jitter(i)) + 800 * demand(i) * spikes(i), 'commits_query') });
}
const ordersDb = database({ name: 'orders', commits: at((i) => 80 * demand(i) * (1 + 0.05 * jitter(i)), 'commits_query') });

interface Case {
  name: string;
  ctx: AnalysisContext;
  fires: boolean;
  summary?: RegExp[];
  notEvaluated?: RegExp;
}

const cases: Case[] = [
  {
    name: 'hot keys expire every six hours and catalog commits jump with them (data/redis-cache)',
    ctx: context({ caches: [redisCache(EVERY_SIX_HOURS)], databases: [ordersDb, catalogDb((i) => stampede(EVERY_SIX_HOURS, i))] }),
    fires: true,
    summary: [/The miss ratio of data\/redis-cache spiked 28 times this week \(up to 52 % vs 4\.0 % typical\)/, /28 of those 28 spikes coincided within 2 min with commit-rate spikes on PostgreSQL database `catalog` \(data\/postgres/, /p < 1e-12/],
  },
  {
    name: 'the database answers a minute late: still within tolerance',
    ctx: context({ caches: [redisCache(EVERY_SIX_HOURS)], databases: [ordersDb, catalogDb((i) => stampede(EVERY_SIX_HOURS, i, 1))] }),
    fires: true,
    summary: [/`catalog`/],
  },
  // Must not fire.
  {
    name: 'redis-sessions control: a steady 1 % miss ratio',
    ctx: context({ caches: [redisSessions], databases: [ordersDb, catalogDb((i) => stampede(EVERY_SIX_HOURS, i))] }),
    fires: false,
  },
  {
    name: 'misses spike, but at other times than the database does',
    ctx: context({ caches: [redisCache(OFF_BEAT)], databases: [ordersDb, catalogDb((i) => stampede(EVERY_SIX_HOURS, i))] }),
    fires: false,
  },
  {
    name: 'misses spike while the database stays on its daily curve',
    ctx: context({ caches: [redisCache(EVERY_SIX_HOURS)], databases: [ordersDb, catalogDb(() => 0)] }),
    fires: false,
  },
  {
    name: 'a database that spikes every ten minutes explains nothing',
    ctx: context({ caches: [redisCache(EVERY_SIX_HOURS)], databases: [catalogDb((i) => (i % 10 === 0 ? 0.3 : 0))] }),
    fires: false,
  },
  {
    name: 'one cache flush (a deploy) and one more spike: no pattern',
    ctx: context({ caches: [redisCache((i) => (i === 3000 || i === 7000 ? 0.5 : 0))], databases: [catalogDb((i) => (i === 3000 || i === 7000 ? 0.5 : 0))] }),
    fires: false,
  },
  {
    name: 'misses spike every three hours, only one spike in three lands on the database',
    ctx: context({ caches: [redisCache([2, 5, 8, 11, 14, 17, 20, 23])], databases: [catalogDb((i) => stampede([2, 11, 20], i))] }),
    fires: false,
  },
  {
    name: 'a slow daily swing in both miss ratio and commits is not a spike',
    ctx: context({ caches: [cache({ name: 'redis-cache', missRatio: at((i) => 0.02 * demand(i), 'miss_ratio_query') })], databases: [catalogDb(() => 0)] }),
    fires: false,
  },
  // Not evaluated.
  {
    name: 'no hit/miss counters on the cache',
    ctx: context({ caches: [cache({ name: 'redis-cache', missRatio: null })], databases: [ordersDb] }),
    fires: false,
    notEvaluated: /miss ratio of data\/redis-cache: redis_keyspace_hits_total/,
  },
  {
    name: 'no database commit rates to compare with',
    ctx: context({ caches: [redisCache(EVERY_SIX_HOURS)] }),
    fires: false,
    notEvaluated: /no commit rates per database \(postgres_exporter pg_stat_database_xact_commit\)/,
  },
];

describe('cache-stampede', () => {
  it.each(cases)('$name', ({ ctx, fires, summary, notEvaluated }) => {
    const result = runRules(ctx, [cacheStampede]);
    if (!fires) expect(result.findings).toEqual([]);
    else {
      expect(result.findings).toHaveLength(1);
      const f = result.findings[0];
      expect(f?.severity).toBe('warning');
      expect(f?.target).toEqual({ namespace: 'data', kind: 'StatefulSet', name: 'redis-cache' });
      for (const re of summary ?? []) expect(f?.summary).toMatch(re);
      expect(f?.evidence.map((e) => e.query)).toEqual(expect.arrayContaining(['miss_ratio_query', 'commits_query']));
      expect(f?.evidence.find((e) => e.query === 'miss_ratio_query')?.series?.step).toBe(STEP);
    }
    if (notEvaluated) expect(result.notEvaluated.map((n) => n.missing.join(' '))).toContainEqual(expect.stringMatching(notEvaluated));
  });

  it('is not evaluated without redis_exporter metrics', () => {
    const result = runRules(context({ missingFeatures: ['redis'] }), [cacheStampede]);
    expect(result.notEvaluated).toEqual([{ rule: 'cache-stampede', target: null, missing: ['redis metrics are missing'] }]);
  });

  it.each([
    { name: 'a spike above 3× the surrounding median', values: [1, 1, 1, 1, 5, 1, 1, 1, 1], spikes: [4] },
    { name: 'a plateau longer than half the window is the new baseline', values: [1, 1, 1, 5, 5, 5, 5, 5, 5], spikes: [] },
    { name: 'below the absolute floor', values: [0.001, 0.001, 0.001, 0.001, 0.009, 0.001, 0.001, 0.001, 0.001], spikes: [] },
  ])('localSpikes: $name', ({ values, spikes }) => {
    const t = timeline(values, { step: 600 });
    const found = localSpikes(t, 3, 0.01);
    expect([...found.times].map((time) => t.points.findIndex((p) => p.time === time))).toEqual(spikes);
  });

  it.each([
    { probabilities: [0.5, 0.5], k: 0, p: 1 },
    { probabilities: [0.5, 0.5], k: 1, p: 0.75 },
    { probabilities: [0.5, 0.5], k: 2, p: 0.25 },
    { probabilities: [0.1, 0.2, 0.3], k: 3, p: 0.006 },
    { probabilities: [0.1, 0.2, 0.3], k: 4, p: 0 },
  ])('tailProbability($probabilities, $k) = $p', ({ probabilities, k, p }) => {
    expect(tailProbability(probabilities, k)).toBeCloseTo(p, 10);
  });
});
