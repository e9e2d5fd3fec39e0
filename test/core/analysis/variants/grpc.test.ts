import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportSchema } from '../../../../core/api/report';
import { SAMPLE_BUDGET, sampleCount, type VariantFleet } from './fleet';
import { GRPC_SERVER_ERRORS, GRPC_SERVERS, grpcFleet } from './grpc';
import { analyzeAll, expectRedMatches, nonFiniteNumbers, serviceOf, startStores, stopAll, type HandPromql, type VariantRun } from './harness';

/**
 * go-grpc-prometheus: the status (`grpc_code`) is only on grpc_server_handled_total, never on the
 * handling-time histogram, and the histogram is opt-in. Errors are the server's codes (Unavailable,
 * DeadlineExceeded…), not the caller's (NotFound, InvalidArgument).
 */
const fleets = {
  mixed: grpcFleet(),
  countersOnly: grpcFleet(GRPC_SERVERS.filter((s) => !s.histogram), 'grpc/counters-only'),
} satisfies Record<string, VariantFleet>;
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

const hand = (name: string, histogram: boolean): HandPromql => ({
  requests: `grpc_server_handled_total{namespace="core",job="${name}"}`,
  errors: `grpc_code=~"${GRPC_SERVER_ERRORS.join('|')}"`,
  buckets: histogram ? `grpc_server_handling_seconds_bucket{namespace="core",job="${name}"}` : null,
  toSeconds: 1,
});

describe('gRPC servers with go-grpc-prometheus', () => {
  it('stay within the sample budget', () => {
    for (const f of Object.values(fleets)) expect(sampleCount(f.series)).toBeLessThan(SAMPLE_BUDGET);
  });

  it('are detected with grpc_code as the status label, found on grpc_server_handled_total', () => {
    const { catalog } = runs.mixed.analysis;
    expect(catalog.http.map((h) => h.family.id)).toEqual(['grpc']);
    expect(catalog.http[0]?.status?.label).toBe('grpc_code');
    expect(catalog.http[0]?.hasBuckets).toBe(true);
    expect(catalog.http[0]?.requests).toBe('grpc_server_handled_total');
    expect(catalog.http[0]?.family.toSeconds).toBe(1);
    expect([catalog.http[0]?.family.identity, catalog.http[0]?.podLabels]).toEqual(['pod', true]);
    expect(catalog.features.filter((f) => ['red', 'latency', 'slo'].includes(f.feature)).every((f) => f.available)).toBe(true);
  });

  it('report both servers, the one without a histogram too', () => {
    expect(runs.mixed.analysis.report.services.map((s) => `${s.namespace}/${s.kind}/${s.name}/${s.instrumentation}`)).toEqual(['core/Deployment/accounts/grpc', 'core/Deployment/audit/grpc']);
  });

  it('count Unavailable and DeadlineExceeded as errors but not NotFound, with rate and p99 as PromQL gives', async () => {
    for (const truth of fleets.mixed.services) {
      const server = GRPC_SERVERS.find((s) => s.name === truth.name);
      await expectRedMatches(runs.mixed, serviceOf(runs.mixed.analysis, truth.namespace, truth.name), hand(truth.name, server?.histogram ?? false), truth);
    }
    // NotFound is 5 % of accounts' calls; its server errors are under 1 %.
    const notFound = await runs.mixed.value('sum(increase(grpc_server_handled_total{job="accounts",grpc_code="NotFound"}[1h])) / sum(increase(grpc_server_handled_total{job="accounts"}[1h]))');
    expect(notFound).toBeGreaterThan(0.04);
    expect(serviceOf(runs.mixed.analysis, 'core', 'accounts').errorRatio).toBeLessThan(0.015);
  });

  it('give no latency, with the reason, for the server without the histogram', () => {
    const audit = serviceOf(runs.mixed.analysis, 'core', 'audit');
    expect(audit.latency).toEqual({ p50: null, p95: null, p99: null, p99Bucket: null });
    expect(audit.notes?.join('\n')).toMatch(/no histogram buckets/);
  });

  it('are still detected, and measured, when no server enabled the histogram', async () => {
    const { analysis } = runs.countersOnly;
    expect(analysis.catalog.http.map((h) => [h.family.id, h.status?.label, h.hasBuckets])).toEqual([['grpc', 'grpc_code', false]]);
    expect(analysis.catalog.features.find((f) => f.feature === 'latency')?.available).toBe(false);
    expect(analysis.report.warnings?.join('\n')).toMatch(/grpc_server_handling_seconds_bucket/);
    const [truth] = fleets.countersOnly.services;
    if (!truth) throw new Error('no audit truth');
    const audit = serviceOf(analysis, 'core', 'audit');
    await expectRedMatches(runs.countersOnly, audit, hand('audit', false), truth);
    expect(audit.latency.p99).toBeNull();
    expect(audit.notes?.join('\n')).toMatch(/no histogram buckets/);
  });

  it('write valid reports without NaN or Infinity', () => {
    for (const run of Object.values(runs)) {
      expect(reportSchema.safeParse(run.analysis.report).success).toBe(true);
      expect(nonFiniteNumbers(run.analysis.report)).toEqual([]);
    }
  });
});
