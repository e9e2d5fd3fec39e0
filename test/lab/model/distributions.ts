/**
 * Latency is modelled as a mixture of log-normal components per step (e.g. requests that got a pool
 * connection at once, and those that queued). The same mixture feeds the histogram buckets the
 * exporters emit and the ground truth's exact quantiles, so the two can be compared.
 */
export interface LogNormal {
  weight: number;
  /** Median in seconds. */
  median: number;
  sigma: number;
}

export type LatencyMixture = readonly LogNormal[];

/** Abramowitz–Stegun 7.1.26; absolute error below 1.5e-7, plenty for bucket fractions. */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return sign * y;
}

export function lognormalCdf(x: number, median: number, sigma: number): number {
  if (x <= 0) return 0;
  if (!Number.isFinite(x)) return 1;
  return 0.5 * (1 + erf(Math.log(x / median) / (sigma * Math.SQRT2)));
}

export function mixtureCdf(mixture: LatencyMixture, x: number): number {
  let total = 0;
  let weight = 0;
  for (const c of mixture) {
    total += c.weight * lognormalCdf(x, c.median, c.sigma);
    weight += c.weight;
  }
  return weight > 0 ? total / weight : 0;
}

export function mixtureMean(mixture: LatencyMixture): number {
  let total = 0;
  let weight = 0;
  for (const c of mixture) {
    total += c.weight * c.median * Math.exp((c.sigma * c.sigma) / 2);
    weight += c.weight;
  }
  return weight > 0 ? total / weight : 0;
}

/**
 * The q-quantile of a count-weighted set of mixtures (e.g. all steps of a window), by bisection on
 * the pooled CDF. This is the exact answer a histogram can only approximate.
 */
export function pooledQuantile(parts: ReadonlyArray<{ count: number; mixture: LatencyMixture }>, q: number): number {
  const total = parts.reduce((sum, p) => sum + p.count, 0);
  if (total <= 0) return Number.NaN;
  const cdf = (x: number): number => parts.reduce((sum, p) => sum + p.count * mixtureCdf(p.mixture, x), 0) / total;
  let low = 1e-6;
  let high = 1000;
  for (let i = 0; i < 80; i++) {
    const mid = Math.sqrt(low * high);
    if (cdf(mid) < q) low = mid;
    else high = mid;
  }
  return Math.sqrt(low * high);
}
