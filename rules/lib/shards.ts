/**
 * Skew among shards (Kafka partitions, Redis instances, a consumer group's per-partition lag), shared
 * by `hot-shard` and `consumer-lag`: both need to say which few shards carry a load the others do not,
 * and when a consumer lag is more than the in-flight trail of a group that keeps up.
 *
 * Prior art compares the hottest shard with the mean of all shards (max/avg > 3 for Kafka produce,
 * > 2 for Redis nodes, max/(avg+1) > 5 for lag: diagnostics.md §5b). That ratio cannot exceed the
 * number of shards — with two it is at most 2 — so here the hot shards are compared with the mean of
 * the *others*: it equals max/avg when shards are many, stays meaningful for two or three, and lets
 * several hot shards be named without one hiding another in the average.
 */
export interface LoadedShard {
  id: string;
  load: number;
}

export interface HotShards<T extends LoadedShard> {
  /** The hot shards, hottest first; empty when the load is balanced. */
  hot: T[];
  /** Mean load of the shards that are not hot. */
  othersMean: number;
}

/**
 * The largest minority of shards (at most half of them) each carrying at least `ratio` times the
 * mean of the rest. Shards with no load are never hot.
 */
export function hotShards<T extends LoadedShard>(shards: readonly T[], ratio: number): HotShards<T> {
  const sorted = [...shards].filter((s) => Number.isFinite(s.load)).sort((a, b) => b.load - a.load);
  let best: HotShards<T> = { hot: [], othersMean: mean(sorted.map((s) => s.load)) };
  for (let k = 1; k <= Math.floor(sorted.length / 2); k++) {
    const coolestHot = (sorted[k - 1] as T).load;
    const othersMean = mean(sorted.slice(k).map((s) => s.load));
    if (coolestHot > 0 && coolestHot >= ratio * othersMean) best = { hot: sorted.slice(0, k), othersMean };
  }
  return best;
}

function mean(xs: readonly number[]): number {
  return xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

/**
 * Lag a group that keeps up still shows: a consumer commits what it processed every
 * `auto.commit.interval.ms` (5 s by default) and fetches up to `max.poll.records` (500) at a time, so
 * a healthy group trails by a few seconds of production or one batch. A minute of production is
 * twelve commit intervals; 500 messages is one default batch, which keeps slow topics quiet.
 */
export const LAG_FLOOR_SECONDS = 60;
export const LAG_FLOOR_MESSAGES = 500;

/** Lag (messages) below which a consumer group counts as keeping up, given what is produced per second. */
export function lagFloor(produceRate: number): number {
  return Math.max(LAG_FLOOR_MESSAGES, LAG_FLOOR_SECONDS * produceRate);
}

/** Counts as people read them: 151,907 messages, 27.6 messages/s, 0.42 messages/s. */
export function count(value: number): string {
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return String(Number(value.toPrecision(3)));
}

/** "partition 3", "partitions 3 and 5", "partitions 1, 3 and 5"; without a noun, just the list. */
export function listOf(noun: string, ids: readonly string[]): string {
  const list = ids.length <= 1 ? (ids[0] ?? '') : `${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1] as string}`;
  if (!noun) return list;
  return `${noun}${ids.length > 1 ? 's' : ''} ${list}`;
}
