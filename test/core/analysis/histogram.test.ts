import { describe, expect, it } from 'vitest';
import { histogramQuantile, normaliseBuckets, parseLe, shareAtOrBelow, type Bucket } from '../../../core/analysis/histogram';

const inf = Number.POSITIVE_INFINITY;
const b = (pairs: Array<[number, number]>): Bucket[] => pairs.map(([le, count]) => ({ le, count }));

describe('parseLe', () => {
  it.each([
    ['0.5', 0.5],
    ['1', 1],
    ['1.0', 1],
    ['+Inf', inf],
    ['1e+06', 1e6],
    ['0', 0],
    ['abc', null],
    ['', null],
  ])('%s → %s', (text, value) => expect(parseLe(text)).toBe(value));
});

describe('normaliseBuckets', () => {
  it('merges bounds written differently, sorts, and repairs extrapolation wobble', () => {
    expect(normaliseBuckets(b([[inf, 100], [1, 60], [0.5, 40], [1, 2], [0.25, 41]]))).toEqual(b([[0.25, 41], [0.5, 41], [1, 62], [inf, 100]]));
  });
});

describe('histogramQuantile (Prometheus semantics, with bucket bounds)', () => {
  const h = b([[0.1, 50], [0.25, 80], [0.5, 95], [1, 99], [inf, 100]]);
  it.each([
    // q, value, bucket
    [0.5, 0.1, [0, 0.1]],
    [0.25, 0.05, [0, 0.1]],
    [0.8, 0.25, [0.1, 0.25]],
    [0.9, 0.25 + 0.25 * (10 / 15), [0.25, 0.5]],
    [0.99, 1, [0.5, 1]],
    [0.995, 1, [1, null]],
    [1, 1, [1, null]],
    [0, 0, [0, 0.1]],
  ] as const)('q=%s', (q, value, bucket) => {
    const out = histogramQuantile(q, h);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.estimate.value).toBeCloseTo(value, 9);
    expect(out.estimate.bucket).toEqual(bucket);
  });

  it.each([
    ['no traffic', b([[0.1, 0], [inf, 0]]), 'no requests in the window'],
    ['no +Inf bucket', b([[0.1, 5], [1, 9]]), 'the histogram has no +Inf bucket'],
    ['one bucket', b([[inf, 5]]), 'the histogram has fewer than two buckets'],
  ])('refuses %s with a reason, never NaN', (_name, buckets, reason) => {
    expect(histogramQuantile(0.99, buckets)).toEqual({ ok: false, reason });
  });

  it('refuses a quantile outside [0, 1]', () => {
    expect(histogramQuantile(1.5, h).ok).toBe(false);
    expect(histogramQuantile(Number.NaN, h).ok).toBe(false);
  });

  it('returns a zero-or-negative first bound as is', () => {
    const out = histogramQuantile(0.2, b([[0, 30], [0.1, 60], [inf, 100]]));
    expect(out).toEqual({ ok: true, estimate: { value: 0, bucket: [0, 0] } });
  });

  it('answers with the bucket bound when a bucket holds no observations', () => {
    const out = histogramQuantile(0.5, b([[0.1, 50], [0.25, 50], [inf, 100]]));
    expect(out.ok && out.estimate.value).toBeCloseTo(0.1, 9);
  });
});

describe('shareAtOrBelow', () => {
  const h = b([[0.1, 50], [0.5, 95], [inf, 100]]);
  it.each([
    [0.5, 0.95],
    [0.1, 0.5],
    [0.3, null],
  ])('threshold %s → %s', (t, share) => expect(shareAtOrBelow(t, h)).toBe(share));
  it('is null without traffic', () => expect(shareAtOrBelow(0.5, b([[0.5, 0], [inf, 0]]))).toBeNull());
});
