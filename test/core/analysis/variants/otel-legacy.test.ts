import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportSchema } from '../../../../core/api/report';
import { SAMPLE_BUDGET, sampleCount } from './fleet';
import { analyzeAll, expectRedMatches, nonFiniteNumbers, serviceOf, startStores, stopAll, type VariantRun } from './harness';
import { otelLegacyFleet } from './otel-legacy';

/**
 * OpenTelemetry before the stable HTTP conventions: milliseconds and `http_status_code`. One service
 * emits both the old and the stable histogram (`http/dup`); it must be counted once, from the stable one.
 */
const fleet = otelLegacyFleet();
let run: VariantRun;

beforeAll(async () => {
  [run] = (await analyzeAll(await startStores(fleet.series, ['prometheus']))) as [VariantRun];
}, 60_000);
afterAll(() => stopAll(run ? [run] : []));

describe('OpenTelemetry legacy HTTP semantic conventions (milliseconds)', () => {
  it('stays within the sample budget', () => {
    expect(sampleCount(fleet.series)).toBeLessThan(SAMPLE_BUDGET);
  });

  it('detects both conventions by their status labels, the old one in milliseconds', () => {
    const { catalog } = run.analysis;
    const byId = Object.fromEntries(catalog.http.map((h) => [h.family.id, h]));
    expect(Object.keys(byId).sort()).toEqual(['opentelemetry', 'opentelemetry-legacy']);
    expect(byId['opentelemetry-legacy']?.status?.label).toBe('http_status_code');
    expect(byId['opentelemetry-legacy']?.family.toSeconds).toBe(0.001);
    expect(byId['opentelemetry-legacy']?.podLabels).toBe(true);
    expect(byId.opentelemetry?.status?.label).toBe('http_response_status_code');
    expect(catalog.workloadMapping).toBe('kube-state-metrics');
    expect(catalog.targetInfoPods).toBe(false);
  });

  it('maps every service to its Deployment once; the http/dup one is measured by the stable histogram', () => {
    const services = run.analysis.report.services;
    expect(services.map((s) => `${s.namespace}/${s.kind}/${s.name}/${s.instrumentation}`).sort()).toEqual([
      'payments/Deployment/fraud-check/opentelemetry-legacy',
      'payments/Deployment/gateway/opentelemetry',
      'payments/Deployment/ledger/opentelemetry-legacy',
    ]);
    expect(serviceOf(run.analysis, 'payments', 'gateway').notes?.join('\n')).toContain('also measured by OpenTelemetry HTTP server (semantic conventions before 1.21, milliseconds)');
  });

  it('has the rate, 5xx ratio and p99 (in seconds) that PromQL gives', async () => {
    for (const truth of fleet.services) {
      const sel = `namespace="payments",job="payments/${truth.name}"`;
      const hand =
        truth.name === 'gateway'
          ? { requests: `http_server_request_duration_seconds_count{${sel}}`, errors: 'http_response_status_code=~"5.."', buckets: `http_server_request_duration_seconds_bucket{${sel}}`, toSeconds: 1 }
          : { requests: `http_server_duration_milliseconds_count{${sel}}`, errors: 'http_status_code=~"5.."', buckets: `http_server_duration_milliseconds_bucket{${sel}}`, toSeconds: 0.001 };
      await expectRedMatches(run, serviceOf(run.analysis, truth.namespace, truth.name), hand, truth);
    }
    // 400s are the client's: ledger's error ratio counts only its 500s.
    const ledger = fleet.services.find((s) => s.name === 'ledger');
    expect(serviceOf(run.analysis, 'payments', 'ledger').errorRatio).toBeLessThan(0.02);
    expect(ledger?.errors).toBeGreaterThan(0);
  });

  it('writes a valid report without NaN or Infinity', () => {
    expect(reportSchema.safeParse(run.analysis.report).success).toBe(true);
    expect(nonFiniteNumbers(run.analysis.report)).toEqual([]);
  });
});
