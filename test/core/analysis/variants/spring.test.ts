import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportSchema } from '../../../../core/api/report';
import { SAMPLE_BUDGET, sampleCount, type VariantFleet } from './fleet';
import { analyzeAll, expectRedMatches, nonFiniteNumbers, serviceOf, startStores, stopAll, type HandPromql, type VariantRun } from './harness';
import { BILLING, LEDGER, springFleet } from './spring';

/**
 * Spring Boot without `percentiles-histogram`: only `_count`, `_sum` and `_max`. Rate and errors are
 * still exact; latency percentiles are unknown — null with a reason, never a number made up from `_max`
 * or `_sum / _count`. Alone in a store, a catalog warning says how to turn the histogram on; next to an
 * app that has it, only that app's percentiles exist.
 */
const fleets = { bucketless: springFleet([BILLING], 'spring/bucketless'), mixed: springFleet([BILLING, LEDGER], 'spring/mixed') } satisfies Record<string, VariantFleet>;
const runs = {} as Record<keyof typeof fleets, VariantRun>;

beforeAll(async () => {
  await Promise.all(
    (Object.keys(fleets) as Array<keyof typeof fleets>).map(async (k) => {
      const [run] = await analyzeAll(await startStores(fleets[k].series, ['prometheus']));
      if (run) runs[k] = run;
    }),
  );
}, 60_000);
afterAll(() => stopAll(Object.values(runs)));

const hand = (name: string, buckets: boolean): HandPromql => ({
  requests: `http_server_requests_seconds_count{namespace="finance",application="${name}"}`,
  errors: 'status=~"5.."',
  buckets: buckets ? `http_server_requests_seconds_bucket{namespace="finance",application="${name}"}` : null,
  toSeconds: 1,
});

describe('Spring Boot without percentiles-histogram', () => {
  it('stays within the sample budget', () => {
    for (const f of Object.values(fleets)) expect(sampleCount(f.series)).toBeLessThan(SAMPLE_BUDGET);
  });

  it('is detected with its status label and no buckets, and the catalog says how to get them', () => {
    const { catalog, report } = runs.bucketless.analysis;
    expect(catalog.http.map((h) => [h.family.id, h.status?.label, h.hasBuckets, h.family.toSeconds, h.family.identity, h.podLabels])).toEqual([['spring', 'status', false, 1, 'pod', true]]);
    expect(catalog.features.find((f) => f.feature === 'latency')).toMatchObject({ available: false, missing: expect.stringContaining('_bucket') });
    expect(catalog.features.find((f) => f.feature === 'slo')?.available).toBe(true);
    expect(report.warnings?.join('\n')).toContain('management.metrics.distribution.percentiles-histogram.http.server.requests');
  });

  it('has the rate and 5xx ratio PromQL gives, and latency null with the reason', async () => {
    const [truth] = fleets.bucketless.services;
    if (!truth) throw new Error('no billing truth');
    const billing = serviceOf(runs.bucketless.analysis, 'finance', 'billing');
    await expectRedMatches(runs.bucketless, billing, hand('billing', false), truth);
    expect(billing.latency).toEqual({ p50: null, p95: null, p99: null, p99Bucket: null });
    expect(billing.notes).toContain('p99: no histogram buckets (http_server_requests_seconds_bucket)');
    // The data to make up a number was there: _max and _sum / _count exist, and are not percentiles.
    expect(await runs.bucketless.value('max(http_server_requests_seconds_max{application="billing"})')).toBeGreaterThan(0);
  });

  it('next to an app with the histogram: that app gets percentiles from Micrometer\'s buckets, this one a reason', async () => {
    const { catalog } = runs.mixed.analysis;
    expect(catalog.http.map((h) => [h.family.id, h.hasBuckets])).toEqual([['spring', true]]);
    for (const truth of fleets.mixed.services) {
      const app = [BILLING, LEDGER].find((a) => a.name === truth.name);
      await expectRedMatches(runs.mixed, serviceOf(runs.mixed.analysis, truth.namespace, truth.name), hand(truth.name, app?.percentilesHistogram ?? false), truth);
    }
    const billing = serviceOf(runs.mixed.analysis, 'finance', 'billing');
    expect(billing.latency.p99).toBeNull();
    expect(billing.notes).toContain('p99: no histogram buckets (http_server_requests_seconds_bucket)');
  });

  it('writes valid reports without NaN or Infinity', () => {
    for (const run of Object.values(runs)) {
      expect(reportSchema.safeParse(run.analysis.report).success).toBe(true);
      expect(nonFiniteNumbers(run.analysis.report)).toEqual([]);
    }
  });
});
