import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportSchema } from '../../../../core/api/report';
import { SAMPLE_BUDGET, sampleCount, type VariantFleet } from './fleet';
import { analyzeAll, expectRedMatches, nonFiniteNumbers, serviceOf, startStores, stopAll, type VariantRun } from './harness';
import { istioFleet } from './istio';

/**
 * Istio's double count: every request is in the store twice (reporter="source" and "destination").
 * Headroom must count each once, name the server by destination_workload, and report seconds.
 */
const fleet: VariantFleet = istioFleet();
let runs: VariantRun[] = [];

beforeAll(async () => {
  // Istio's series carry 32 labels; VictoriaMetrics keeps 30 by default and silently drops the rest
  // (-maxLabelsPerTimeseries), which would merge series. A store holding Istio metrics must raise it.
  runs = await analyzeAll(await startStores(fleet.series, ['prometheus', 'victoriametrics'], { victoriaFlags: ['-maxLabelsPerTimeseries=64'] }));
}, 60_000);
afterAll(() => stopAll(runs));

describe('Istio standard metrics', () => {
  it('stays within the sample budget', () => {
    expect(sampleCount(fleet.series)).toBeLessThan(SAMPLE_BUDGET);
  });

  it.each(['prometheus', 'victoriametrics'])('%s: is detected by labels — response_code, milliseconds, one reporter, destination identity', (kind) => {
    const { catalog } = (runs.find((r) => r.kind === kind) as VariantRun).analysis;
    expect(catalog.http.map((h) => h.family.id)).toEqual(['istio']);
    const [istio] = catalog.http;
    expect(istio?.status?.label).toBe('response_code');
    expect(istio?.family.toSeconds).toBe(0.001);
    expect(istio?.family.identity).toBe('istio-destination');
    expect(istio?.family.matchers).toContainEqual({ label: 'reporter', op: '=', value: 'destination' });
    expect(istio?.hasBuckets).toBe(true);
    expect(catalog.features.find((f) => f.feature === 'red')?.available).toBe(true);
  });

  it.each(['prometheus', 'victoriametrics'])('%s: reports the three servers, not the gateway that only calls', (kind) => {
    const { analysis } = runs.find((r) => r.kind === kind) as VariantRun;
    expect(analysis.report.services.map((s) => `${s.namespace}/${s.kind}/${s.name}`).sort()).toEqual(['shop/Deployment/cart', 'shop/Deployment/catalog', 'web/Deployment/frontend']);
    expect(analysis.report.services.every((s) => s.instrumentation === 'istio')).toBe(true);
  });

  it('has twice the requests in the store: the double count is real', async () => {
    const prometheus = runs.find((r) => r.kind === 'prometheus') as VariantRun;
    const cart = fleet.services.find((s) => s.name === 'cart');
    const both = await prometheus.value('sum(increase(istio_requests_total{destination_workload="cart",destination_workload_namespace="shop"}[1h]))');
    expect(both).toBe(2 * (cart?.requests ?? 0));
  });

  it.each(['prometheus', 'victoriametrics'])('%s: counts each request once, with the server errors, and p99 in seconds — as PromQL by hand', async (kind) => {
    const run = runs.find((r) => r.kind === kind) as VariantRun;
    for (const truth of fleet.services) {
      const sel = `destination_workload_namespace="${truth.namespace}",destination_workload="${truth.name}",reporter="destination"`;
      await expectRedMatches(
        run,
        serviceOf(run.analysis, truth.namespace, truth.name),
        { requests: `istio_requests_total{${sel}}`, errors: 'response_code=~"5.."', buckets: `istio_request_duration_milliseconds_bucket{${sel}}`, toSeconds: 0.001 },
        truth,
      );
    }
    // 404s are the caller's mistake: catalog answered some, and has no server errors.
    expect(serviceOf(run.analysis, 'shop', 'catalog').errorRatio).toBe(0);
    // Milliseconds became seconds: the p99 bucket bounds are Istio's 25/50/100 ms as 0.025/0.05/0.1 s.
    expect(serviceOf(run.analysis, 'shop', 'cart').latency.p99).toBeLessThan(1);
  });

  it.each(['prometheus', 'victoriametrics'])('%s: writes a valid report without NaN or Infinity', (kind) => {
    const { analysis } = runs.find((r) => r.kind === kind) as VariantRun;
    expect(reportSchema.safeParse(analysis.report).success).toBe(true);
    expect(nonFiniteNumbers(analysis.report)).toEqual([]);
  });
});
