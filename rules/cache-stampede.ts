import type { AnalysisContext, CacheFacts, DatabaseFacts, Timeline } from '../core/analysis/context';
import type { RuleFinding, RuleModule, RuleNotEvaluated, RuleResult } from '../core/analysis/rule';
import { episodes, evidence, maxOf, percent, quantile, seconds } from './lib/signals';

/**
 * A cache stampede: popular keys expire (or are evicted, or the cache restarts) together, every
 * reader misses at once and they all go to the database for the same rows. It shows as short miss
 * spikes on the cache that line up with short load spikes on the database behind it. Which database
 * is behind a cache is not labelled, so the rule tests each one: of the cache's miss-spike episodes,
 * how many coincide with commit-rate spikes of that database, against how many would by chance.
 *
 * Spikes are judged against each series' own surrounding hour (a rolling median), not against the
 * whole window, so the daily swing of traffic is not mistaken for spikes on either side.
 */

/** Half-width of the rolling baseline: a stampede lasts minutes, an hour's median ignores it but follows the daily curve. */
export const BASELINE_HALF_WIDTH_SECONDS = 1800;
/** Miss ratio at least this many times its surrounding median: the database's share of reads at least triples. */
export const MISS_SPIKE_FACTOR = 3;
/** …and at least this much above it (1 in 100 lookups), so a near-perfect cache's handful of misses is not a spike. */
export const MISS_SPIKE_FLOOR = 0.01;
/** Commit rate at least this many times its surrounding median: half as many transactions again, in a minute or two. */
export const DB_SPIKE_FACTOR = 1.5;
/** …and at least this many commits per second above it, so an idle database's jitter is not a spike. */
export const DB_SPIKE_FLOOR = 1;
/** A database spike within this many steps of a miss episode coincides with it (rate windows smear both by a step or two). */
export const TOLERANCE_STEPS = 2;
/** Least number of coinciding episodes: one or two could be a deploy that flushed the cache, three make a pattern. */
export const MIN_COINCIDING = 3;
/** Least share of the miss episodes that coincide: most of the cache's spikes must land on the database. */
export const MIN_SHARE = 0.5;
/** Chance of that many coincidences if the two series were unrelated, at most (split over the databases tried). */
export const ALPHA = 0.001;

/** Position of `v` in the ascending array `xs` (first index whose value is ≥ v). */
function lowerBound(xs: readonly number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface Spikes {
  times: Set<number>;
  /** The surrounding median at each step. */
  baseline: Map<number, number>;
}

/**
 * Steps where a series exceeds `factor` × the median of the surrounding hour and `floor` above it.
 * The window slides over a sorted copy, so a week at scrape resolution costs milliseconds.
 */
export function localSpikes(t: Timeline, factor: number, floor: number): Spikes {
  const half = Math.max(1, Math.round(BASELINE_HALF_WIDTH_SECONDS / t.step));
  const pts = t.points;
  const valueAt = (j: number): number | null => {
    const v = pts[j]?.value;
    return v === null || v === undefined || !Number.isFinite(v) ? null : v;
  };
  const window: number[] = [];
  const add = (j: number): void => {
    const v = valueAt(j);
    if (v !== null) window.splice(lowerBound(window, v), 0, v);
  };
  const remove = (j: number): void => {
    const v = valueAt(j);
    if (v !== null) window.splice(lowerBound(window, v), 1);
  };
  for (let j = 0; j <= Math.min(pts.length - 1, half); j++) add(j);
  const times = new Set<number>();
  const baseline = new Map<number, number>();
  for (let i = 0; i < pts.length; i++) {
    if (i > 0) {
      if (i + half < pts.length) add(i + half);
      if (i - half - 1 >= 0) remove(i - half - 1);
    }
    const v = valueAt(i);
    if (v === null) continue;
    const base = quantile(window, 0.5) ?? v;
    const time = (pts[i] as { time: number }).time;
    baseline.set(time, base);
    if (v > base * factor && v - base >= floor) times.add(time);
  }
  return { times, baseline };
}

/** P(X ≥ k) for X a sum of independent Bernoulli(p_i): the Poisson-binomial tail, by dynamic programming. */
export function tailProbability(probabilities: readonly number[], k: number): number {
  let dist = [1];
  for (const p of probabilities) {
    const next = new Array<number>(dist.length + 1).fill(0);
    for (let j = 0; j < dist.length; j++) {
      const d = dist[j] as number;
      next[j] = (next[j] as number) + d * (1 - p);
      next[j + 1] = (next[j + 1] as number) + d * p;
    }
    dist = next;
  }
  return Math.min(1, dist.slice(k).reduce((a, b) => a + b, 0));
}

/** A database with its commit spikes, found once and tried against every cache. */
interface Database {
  facts: DatabaseFacts;
  commits: Timeline;
  spikes: Spikes;
}

interface Alignment {
  db: DatabaseFacts;
  coinciding: number;
  episodes: number;
  /** Coincidences expected if misses and commits were unrelated. */
  expected: number;
  pValue: number;
  /** Peak commit rate in coinciding episodes, and its surrounding median then. */
  peak: { value: number; baseline: number } | null;
}

/**
 * Lines the cache's miss episodes up with a database's commit spikes on a shared grid of steps. Under
 * the null hypothesis an episode of L steps lands anywhere in the window, so its chance to coincide is
 * the share of placements whose span (± tolerance) holds a database spike.
 */
function align(missEpisodes: Array<{ start: number; end: number }>, grid: { start: number; step: number; n: number }, db: Database): Alignment {
  const { start, step, n } = grid;
  const { spikes, commits } = db;
  const mask = new Array<number>(n).fill(0);
  for (const t of spikes.times) {
    const i = Math.round((t - start) / step);
    if (i >= 0 && i < n) mask[i] = 1;
  }
  const prefix = [0];
  for (let i = 0; i < n; i++) prefix.push((prefix[i] as number) + (mask[i] as number));
  const anyIn = (from: number, to: number): boolean => {
    const a = Math.max(0, from);
    const b = Math.min(n - 1, to);
    return b >= a && (prefix[b + 1] as number) - (prefix[a] as number) > 0;
  };
  const chance = new Map<number, number>();
  const chanceFor = (length: number): number => {
    const cached = chance.get(length);
    if (cached !== undefined) return cached;
    const placements = Math.max(1, n - length + 1);
    let hits = 0;
    for (let s = 0; s + length <= n; s++) if (anyIn(s - TOLERANCE_STEPS, s + length - 1 + TOLERANCE_STEPS)) hits++;
    const p = hits / placements;
    chance.set(length, p);
    return p;
  };
  let coinciding = 0;
  let peak: Alignment['peak'] = null;
  const probabilities: number[] = [];
  const commitAt = new Map(commits.points.map((p) => [p.time, p.value]));
  for (const e of missEpisodes) {
    const a = Math.round((e.start - start) / step);
    const b = Math.round((e.end - start) / step);
    probabilities.push(chanceFor(b - a + 1));
    if (!anyIn(a - TOLERANCE_STEPS, b + TOLERANCE_STEPS)) continue;
    coinciding++;
    for (let i = a - TOLERANCE_STEPS; i <= b + TOLERANCE_STEPS; i++) {
      const time = start + i * step;
      const value = commitAt.get(time);
      const base = spikes.baseline.get(time);
      if (!spikes.times.has(time) || value === null || value === undefined || base === undefined) continue;
      if (!peak || value > peak.value) peak = { value, baseline: base };
    }
  }
  return {
    db: db.facts,
    coinciding,
    episodes: missEpisodes.length,
    expected: probabilities.reduce((s, p) => s + p, 0),
    pValue: tailProbability(probabilities, coinciding),
    peak,
  };
}

function pText(p: number): string {
  if (p < 1e-12) return 'p < 1e-12';
  return p < 0.001 ? `p ≈ ${p.toExponential(0)}` : `p ≈ ${p.toFixed(3)}`;
}

function windowWords(context: AnalysisContext): string {
  const days = (context.window.end - context.window.start) / 86400;
  if (Math.abs(days - 7) < 0.05) return 'this week';
  return days >= 2 ? `in ${Number(days.toFixed(1))} days` : `in ${seconds(context.window.end - context.window.start)}`;
}

function evaluateCache(context: AnalysisContext, cache: CacheFacts, databases: readonly Database[], out: RuleResult): void {
  const target = cache.target;
  const label = `${target.namespace}/${target.name}`;
  const miss = cache.missRatio;
  if (!miss || miss.points.every((p) => p.value === null)) {
    out.notEvaluated.push({ target, missing: [`miss ratio of ${label}: redis_keyspace_hits_total / redis_keyspace_misses_total (redis_exporter) have no samples`] });
    return;
  }
  if (databases.length === 0) {
    out.notEvaluated.push({ target, missing: [`database load to line ${label}'s misses up with: no commit rates per database (postgres_exporter pg_stat_database_xact_commit)`] });
    return;
  }
  const spikes = localSpikes(miss, MISS_SPIKE_FACTOR, MISS_SPIKE_FLOOR);
  const missEpisodes = episodes(spikes.times, miss.step);
  // A cache with steady misses, or a spike or two: no pattern to test.
  if (missEpisodes.length < MIN_COINCIDING) return;

  const first = miss.points[0]?.time ?? context.window.start;
  const last = miss.points[miss.points.length - 1]?.time ?? context.window.end;
  const grid = { start: first, step: miss.step, n: Math.round((last - first) / miss.step) + 1 };
  const alpha = ALPHA / databases.length;
  const passing = databases
    .map((d) => align(missEpisodes, grid, d))
    .filter((a) => a.coinciding >= MIN_COINCIDING && a.coinciding / a.episodes >= MIN_SHARE && a.pValue <= alpha)
    .sort((a, b) => a.pValue - b.pValue || b.coinciding - a.coinciding);
  const best = passing[0];
  if (!best) return;

  const missPeak = maxOf(miss);
  const typical = quantile([...spikes.baseline.values()].sort((a, b) => a - b), 0.5);
  const db = best.db;
  const dbLabel = `${db.target.namespace}/${db.target.name}`;
  const others = passing.slice(1).map((a) => `\`${a.db.name}\``);
  const dbPeak = best.peak
    ? `, up to ${best.peak.value.toFixed(best.peak.value < 10 ? 1 : 0)} commits/s vs ${best.peak.baseline.toFixed(best.peak.baseline < 10 ? 1 : 0)} around it`
    : '';
  const summary =
    `The miss ratio of ${label} spiked ${best.episodes} times ${windowWords(context)} (up to ${percent(missPeak)} vs ${percent(typical, 1)} typical); ` +
    `${best.coinciding} of those ${best.episodes} spikes coincided within ${seconds(TOLERANCE_STEPS * miss.step)} with commit-rate spikes on PostgreSQL database \`${db.name}\` (${dbLabel}${dbPeak}), ` +
    `where chance would give about ${best.expected.toFixed(1)} (${pText(best.pValue)})${others.length > 0 ? `; ${others.join(', ')} line up too` : ''}. ` +
    `Keys expiring or evicted together send every reader to \`${db.name}\` at once.`;

  const ev = [
    evidence(`miss ratio of ${label} (peak)`, miss.query, missPeak, 'ratio', miss),
    evidence(`commits/s on database ${db.name} (peak)`, db.commits?.query ?? '', maxOf(db.commits), 'per second', db.commits),
  ];
  if (cache.commands) ev.push(evidence(`commands/s on ${label} (peak)`, cache.commands.query, maxOf(cache.commands), 'per second', cache.commands));

  out.findings.push({
    severity: 'warning',
    target,
    summary,
    evidence: ev,
    remediation:
      `Stop hot keys of ${label} from expiring together: add jitter to their TTLs, refresh them before they expire (probabilistic early refresh) ` +
      'or serve the stale value while one caller recomputes it, and collapse concurrent misses on the same key into one database read (single-flight, or a short lock key with SET NX). ' +
      `Check that ${label} is not evicting them instead (redis_evicted_keys_total, maxmemory-policy).`,
  });
}

export const cacheStampede: RuleModule = {
  meta: {
    id: 'cache-stampede',
    title: 'Cache stampede onto the database',
    defaultSeverity: 'warning',
    category: 'data',
    requires: ['redis'],
    description: 'Miss-ratio spikes on a cache coincide, far more often than chance, with commit-rate spikes on a database behind it.',
    docs: 'docs/rules/cache-stampede.md',
  },
  evaluate(context: AnalysisContext): RuleResult {
    const out: { findings: RuleFinding[]; notEvaluated: RuleNotEvaluated[] } = { findings: [], notEvaluated: [] };
    const databases: Database[] = context.databases.flatMap((facts) =>
      facts.commits && facts.commits.points.length > 0 ? [{ facts, commits: facts.commits, spikes: localSpikes(facts.commits, DB_SPIKE_FACTOR, DB_SPIKE_FLOOR) }] : [],
    );
    for (const cache of context.caches) evaluateCache(context, cache, databases, out);
    return out;
  },
};
