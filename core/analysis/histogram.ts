/**
 * Quantiles from cumulative histogram buckets, computed the way Prometheus' histogram_quantile does
 * (linear interpolation inside the bucket the rank falls in), but keeping the bucket bounds so the
 * report can say "p99 is between 0.5 s and 1 s". Bucket counts must already be summed over pods by
 * `le` — averaging per-pod quantiles is wrong, and this function cannot be fed that.
 */
export interface Bucket {
  /** Upper bound in seconds; Infinity for the +Inf bucket. */
  le: number;
  /** Cumulative count of observations ≤ le. */
  count: number;
}

export interface QuantileEstimate {
  value: number;
  /** Bounds of the bucket the quantile falls in; upper is null for the +Inf bucket. */
  bucket: [number, number | null];
}

export type QuantileOutcome = { ok: true; estimate: QuantileEstimate } | { ok: false; reason: string };

/** Parses an `le` label: "0.5", "1", "1.0", "+Inf", "1e+06". Returns null for anything else. */
export function parseLe(text: string): number | null {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text.trim() === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/**
 * Merges buckets whose `le` strings parse to the same bound (Prometheus 3 writes "1.0" where older
 * clients wrote "1"), sorts them, and repairs the small non-monotonicities that `increase()`'s
 * extrapolation produces across series.
 */
export function normaliseBuckets(buckets: readonly Bucket[]): Bucket[] {
  const byLe = new Map<number, number>();
  for (const b of buckets) byLe.set(b.le, (byLe.get(b.le) ?? 0) + Math.max(0, b.count));
  const sorted = [...byLe.entries()].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  let running = 0;
  for (const b of sorted) {
    running = Math.max(running, b.count);
    b.count = running;
  }
  return sorted;
}

export function histogramQuantile(q: number, raw: readonly Bucket[]): QuantileOutcome {
  if (!(q >= 0 && q <= 1)) return { ok: false, reason: `quantile ${q} is outside [0, 1]` };
  const buckets = normaliseBuckets(raw);
  const inf = buckets[buckets.length - 1];
  if (!inf || inf.le !== Number.POSITIVE_INFINITY) return { ok: false, reason: 'the histogram has no +Inf bucket' };
  if (buckets.length < 2) return { ok: false, reason: 'the histogram has fewer than two buckets' };
  const total = inf.count;
  if (total <= 0) return { ok: false, reason: 'no requests in the window' };
  const rank = q * total;
  const index = buckets.findIndex((b) => b.count >= rank);
  const at = buckets[index] as Bucket;
  if (at.le === Number.POSITIVE_INFINITY) {
    // Prometheus answers with the highest finite bound; the truth lies somewhere above it.
    const highest = buckets[buckets.length - 2] as Bucket;
    return { ok: true, estimate: { value: highest.le, bucket: [highest.le, null] } };
  }
  const previous = index > 0 ? (buckets[index - 1] as Bucket) : { le: 0, count: 0 };
  const lower = index === 0 && at.le <= 0 ? at.le : previous.le;
  if (index === 0 && at.le <= 0) return { ok: true, estimate: { value: at.le, bucket: [at.le, at.le] } };
  const inBucket = at.count - previous.count;
  const value = inBucket > 0 ? lower + (at.le - lower) * ((rank - previous.count) / inBucket) : at.le;
  return { ok: true, estimate: { value, bucket: [lower, at.le] } };
}

/** Share of observations at or below `threshold`, which must be a bucket bound; null otherwise. */
export function shareAtOrBelow(threshold: number, raw: readonly Bucket[]): number | null {
  const buckets = normaliseBuckets(raw);
  const total = buckets[buckets.length - 1]?.count ?? 0;
  const at = buckets.find((b) => Math.abs(b.le - threshold) <= 1e-9 * Math.max(1, threshold));
  if (!at || total <= 0) return null;
  return at.count / total;
}
