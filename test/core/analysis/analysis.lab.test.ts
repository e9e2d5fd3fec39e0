import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { analyze, type Analysis } from '../../../core/analysis/analyze';
import { parseSloFile } from '../../../core/analysis/slo';
import { burnWindowIds, reportSchema } from '../../../core/api/report';
import { PrometheusClient } from '../../../core/prometheus/client';
import type { GroundTruth, ServiceTruth } from '../../lab/musiccorp/ground-truth';

/**
 * Core's numbers on the lab, each held against the same PromQL evaluated by the lab's Prometheus and
 * against the generator's ground truth — and VictoriaMetrics must agree.
 */
const lab = inject('lab');
let truth: GroundTruth;
const runs: Record<'prometheus' | 'victoria', Analysis> = {} as Record<'prometheus' | 'victoria', Analysis>;

const SLO = parseSloFile(`
services:
  - namespace: checkout
    name: order
    availability: 0.999
    latency: { threshold: 0.5, objective: 0.99 }
  - namespace: storefront
    name: search
    latency: { threshold: 0.3, objective: 0.99 }
`);

/** The same selectors the lab's own test uses: the instrumentation's names and labels, by hand. */
function selectorOf(s: ServiceTruth): { count: string; bucket: string; errors: string } {
  switch (s.instrumentation) {
    case 'promhttp':
      return { count: `http_request_duration_seconds_count{namespace="${s.namespace}",job="${s.name}"}`, bucket: `http_request_duration_seconds_bucket{namespace="${s.namespace}",job="${s.name}"}`, errors: 'code=~"5.."' };
    case 'spring':
      return { count: `http_server_requests_seconds_count{namespace="${s.namespace}",application="${s.name}"}`, bucket: `http_server_requests_seconds_bucket{namespace="${s.namespace}",application="${s.name}"}`, errors: 'outcome="SERVER_ERROR"' };
    case 'otel-scrape':
      return { count: `http_server_request_duration_seconds_count{namespace="${s.namespace}",job="${s.name}"}`, bucket: `http_server_request_duration_seconds_bucket{namespace="${s.namespace}",job="${s.name}"}`, errors: 'http_response_status_code=~"5.."' };
    default:
      return { count: `http_server_request_duration_seconds_count{job="${s.namespace}/${s.name}"}`, bucket: `http_server_request_duration_seconds_bucket{job="${s.namespace}/${s.name}"}`, errors: 'http_response_status_code=~"5.."' };
  }
}

function withMatcher(selector: string, matcher: string): string {
  return selector.replace(/}$/, `,${matcher}}`);
}

async function promql(query: string): Promise<number | null> {
  const client = new PrometheusClient({ url: lab.prometheusUrl });
  const result = await client.instant(query, truth.window.end);
  return result.data[0]?.value ?? null;
}

function serviceIn(analysis: Analysis, s: { namespace: string; name: string }): Analysis['report']['services'][number] {
  const found = analysis.report.services.find((x) => x.namespace === s.namespace && x.name === s.name);
  if (!found) throw new Error(`${s.namespace}/${s.name} missing from the report`);
  return found;
}

beforeAll(async () => {
  truth = JSON.parse(await readFile(lab.build.groundTruthPath, 'utf8')) as GroundTruth;
  for (const [name, url] of [['prometheus', lab.prometheusUrl], ['victoria', lab.victoriaMetricsUrl]] as const) {
    // Analyses are batch work: give each query minutes, as the CLI does, rather than an interactive 30 s.
    runs[name] = await analyze(new PrometheusClient({ url, timeoutMs: 180_000 }), { window: truth.window, slo: SLO });
  }
});

describe('catalog', () => {
  it('detects the three instrumentations by their labels, and OTLP pods through target_info', () => {
    const { catalog } = runs.prometheus;
    expect(catalog.http.map((h) => [h.family.id, h.status?.label]).sort()).toEqual([
      ['opentelemetry', 'http_response_status_code'],
      ['promhttp', 'code'],
      ['spring', 'status'],
    ]);
    expect(catalog.workloadMapping).toBe('kube-state-metrics');
    expect(catalog.targetInfoPods).toBe(true);
    expect(catalog.features.filter((f) => !f.available)).toEqual([]);
  });

  it('maps every service to its Deployment, including the one pushed over OTLP', () => {
    const names = runs.prometheus.report.services.map((s) => `${s.namespace}/${s.kind}/${s.name}`).sort();
    expect(names).toEqual(truth.services.map((s) => `${s.namespace}/Deployment/${s.name}`).sort());
    expect(serviceIn(runs.prometheus, { namespace: 'storefront', name: 'inventory' }).instrumentation).toBe('opentelemetry');
  });
});

describe('RED per service against PromQL and the ground truth', () => {
  it('has the request rate PromQL gives', async () => {
    for (const s of truth.services) {
      const direct = ((await promql(`sum(increase(${selectorOf(s).count}[7d]))`)) ?? 0) / (7 * 86400);
      const rps = serviceIn(runs.prometheus, s).rps ?? 0;
      expect(rps / direct, `${s.namespace}/${s.name}`).toBeCloseTo(1, 6);
      // The truth counts expected requests; increase() extrapolates each series to the window's edges, which
      // costs short-lived pods (notifications churns a pod every few minutes) about a percent.
      expect(Math.abs(rps / s.rps - 1), `${s.namespace}/${s.name} vs truth`).toBeLessThan(0.02);
    }
  });

  it('has the error ratio PromQL gives', async () => {
    for (const s of truth.services) {
      const sel = selectorOf(s);
      const direct = (await promql(`sum(increase(${withMatcher(sel.count, sel.errors)}[7d])) / sum(increase(${sel.count}[7d]))`)) ?? 0;
      const ratio = serviceIn(runs.prometheus, s).errorRatio ?? -1;
      expect(Math.abs(ratio - direct), `${s.namespace}/${s.name}`).toBeLessThan(1e-9);
      if (s.errorRatio > 0) expect(Math.abs(ratio - s.errorRatio) / s.errorRatio).toBeLessThan(0.05);
    }
  });

  it('computes p50/p95/p99 from buckets summed by le, exactly as histogram_quantile does, in the true p99 bucket', async () => {
    for (const s of truth.services) {
      const report = serviceIn(runs.prometheus, s);
      for (const [q, value] of [[0.5, report.latency.p50], [0.95, report.latency.p95], [0.99, report.latency.p99]] as const) {
        const direct = await promql(`histogram_quantile(${q}, sum by (le) (increase(${selectorOf(s).bucket}[7d])))`);
        expect(value, `${s.namespace}/${s.name} q${q}`).toBeCloseTo(direct ?? Number.NaN, 9);
      }
      expect(report.latency.p99Bucket, `${s.namespace}/${s.name}`).toEqual(s.p99Bucket);
    }
  });

  it('flags the low-traffic service and never outputs NaN or Infinity', () => {
    const report = runs.prometheus.report;
    expect(serviceIn(runs.prometheus, { namespace: 'analytics', name: 'reporting' }).lowTraffic).toBe(true);
    expect(serviceIn(runs.prometheus, { namespace: 'checkout', name: 'order' }).lowTraffic).toBe(false);
    expect(() => reportSchema.parse(report)).not.toThrow();
    expect(JSON.stringify(report)).not.toMatch(/NaN|Infinity/);
  });
});

describe('SLO burn', () => {
  it('has the count-weighted burn rate PromQL gives for every window, and pages on payment', async () => {
    const payment = truth.services.find((s) => s.name === 'payment') as ServiceTruth;
    const sel = selectorOf(payment);
    const slo = serviceIn(runs.prometheus, payment).slo;
    for (const id of burnWindowIds) {
      const direct = (await promql(`sum(increase(${withMatcher(sel.count, sel.errors)}[${id}])) / sum(increase(${sel.count}[${id}]))`)) ?? 0;
      expect(slo.burnRates[id], id).toBeCloseTo(direct / 0.001, 6);
      expect((slo.burnRates[id] ?? 0) * 0.001, `${id} vs truth`).toBeCloseTo(payment.errorRatios[id] ?? 0, 2);
    }
    expect(slo.alert).toBe('page');
    expect(slo.timeToExhaustion).toBe(0);
    expect(slo.errorBudgetRemaining).toBeLessThan(0);
  });

  it('gives the burning service pasteable PromQL that yields its numbers', async () => {
    const payment = runs.prometheus.services.find((s) => s.report.name === 'payment');
    for (const id of ['5m', '1h', '3d'] as const) {
      const query = payment?.burnQueries[id] ?? '';
      expect(query, id).toContain('increase(');
      expect(await promql(query), id).toBeCloseTo((payment?.report.slo.burnRates[id] ?? 0) * 0.001, 9);
    }
    expect(runs.prometheus.services.find((s) => s.report.name === 'frontend')?.burnQueries).toEqual({});
  });

  it('keeps quiet services quiet', () => {
    for (const name of ['frontend', 'catalog', 'inventory', 'shipping']) {
      const s = runs.prometheus.report.services.find((x) => x.name === name);
      expect(s?.slo.alert, name).toBe('none');
    }
  });

  it('measures a latency objective at a bucket bound, and says when the threshold is not one', async () => {
    const order = runs.prometheus.services.find((s) => s.report.name === 'order');
    const sel = selectorOf(truth.services.find((s) => s.name === 'order') as ServiceTruth);
    const slow = (await promql(`1 - sum(increase(${withMatcher(sel.bucket, 'le="0.5"')}[1d])) / sum(increase(${sel.count}[1d]))`)) ?? 0;
    expect(order?.latencySlo?.status.burnRates['1d']).toBeCloseTo(slow / 0.01, 6);
    const search = runs.prometheus.services.find((s) => s.report.name === 'search');
    expect(search?.latencySlo).toBeNull();
    expect(search?.report.notes?.join(' ')).toContain('0.3 s is not a bucket bound');
  });

  it('says the lab holds less history than the 30-day period', () => {
    // The lab holds eight days: the analysis window of seven and one more for long rate windows.
    expect(serviceIn(runs.prometheus, { namespace: 'checkout', name: 'order' }).notes?.join(' ')).toMatch(/history covers 8\.0 of the 30 days/);
  });
});

describe('VictoriaMetrics gives the same answers', () => {
  it('agrees on every service', () => {
    for (const s of truth.services) {
      const p = serviceIn(runs.prometheus, s);
      const v = serviceIn(runs.victoria, s);
      // VictoriaMetrics' increase() does not extrapolate to the window edges as Prometheus does; the
      // difference is largest for short-lived pods: allow two percent.
      expect(Math.abs((v.rps ?? 0) / (p.rps ?? 1) - 1), `${s.name} rps`).toBeLessThan(0.02);
      expect(Math.abs((v.errorRatio ?? 0) - (p.errorRatio ?? 0)), `${s.name} errors`).toBeLessThan(0.0002);
      expect(v.latency.p99Bucket, `${s.name} p99 bucket`).toEqual(p.latency.p99Bucket);
      expect(v.slo.alert, `${s.name} alert`).toBe(p.slo.alert);
    }
  });
});
