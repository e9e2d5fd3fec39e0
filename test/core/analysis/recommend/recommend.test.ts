import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RECOMMEND, recommend } from '../../../../core/analysis/recommend/recommend';
import type { ServiceAnalysis } from '../../../../core/analysis/services';
import { HTTP_FAMILIES } from '../../../../core/prometheus/families';
import { consumerGroup, context, daily, hpa, service, timeline, workload } from '../../../rules/fixtures';

/**
 * How an autoscaling proposal is written: an HPA with the prometheus-adapter rule its metric needs, or,
 * with `keda`, a KEDA ScaledObject whose trigger queries the same load; CPU-based HPAs stay HPAs either way.
 */
const busy = (quiet: number, peak: number): ReturnType<typeof timeline> => timeline(daily(quiet, peak));
const promhttp = HTTP_FAMILIES.find((f) => f.histogram === 'http_request_duration_seconds');

function api(): ServiceAnalysis {
  const s = service({ name: 'api', rps: busy(180, 540), p99: busy(0.1, 1.5) });
  return { ...s, facts: { ...s.facts, family: { ...s.facts.family, family: promhttp as NonNullable<typeof promhttp> } } };
}

const fleet = context({
  workloads: [
    workload({ name: 'api', timeline: { replicas: timeline(() => 3), cpuUtilization: busy(0.2, 0.25) } }),
    workload({ name: 'mailer', timeline: { replicas: timeline(() => 2) } }),
  ],
  services: [api()],
  hpas: [hpa({ name: 'api', minReplicas: 3, maxReplicas: 12 })],
  consumerGroups: [consumerGroup({ group: 'mailer', topic: 'orders', lags: [10, 10, 10, 10, 10, 10], lag: timeline(() => 60), production: busy(20, 200) })],
});

function autoscalers(keda: { serverAddress: string } | null): Record<string, { kind: string; spec: Record<string, unknown>; rationale: string }> {
  const set = recommend(fleet, { ...DEFAULT_RECOMMEND, keda });
  return Object.fromEntries(
    set.recommendations
      .filter((r) => r.kind === 'hpa')
      .map((r) => {
        const [doc] = parseAllDocuments(r.manifest).map((d) => d.toJS() as { kind: string; spec: Record<string, unknown> });
        return [r.target.name, { kind: doc?.kind ?? '', spec: doc?.spec ?? {}, rationale: (r.rationale ?? []).join('\n') }];
      }),
  );
}

describe('autoscaling recommendations', () => {
  it('are HPAs by default, each with the prometheus-adapter rule its metric needs', () => {
    const out = autoscalers(null);
    expect(out.api?.kind).toBe('HorizontalPodAutoscaler');
    expect(out.api?.rationale).toMatch(/rules:\n {2}- name:\n {6}as: http_requests_per_second\n {6}matches: \^http_request_duration_seconds_count\$/);
    expect(out.mailer?.kind).toBe('HorizontalPodAutoscaler');
    expect(out.mailer?.spec.metrics).toEqual([{ type: 'External', external: { metric: { name: 'kafka_consumergroup_lag', selector: { matchLabels: { namespace: 'kafka', consumergroup: 'mailer', topic: 'orders' } } }, target: { type: 'AverageValue', averageValue: '5100' } } }]);
    expect(out.mailer?.rationale).toMatch(/externalRules:[\s\S]*namespaced: false/);
  });

  it('are KEDA ScaledObjects with `keda`, querying the same load, and say to delete the HPA they replace', () => {
    const serverAddress = 'http://prometheus-operated.monitoring.svc:9090';
    const out = autoscalers({ serverAddress });
    expect(out.api?.kind).toBe('ScaledObject');
    expect(out.api?.spec.triggers).toEqual([{ type: 'prometheus', metricType: 'AverageValue', metadata: { serverAddress, query: 'sum(rate(http_request_duration_seconds_count{namespace="shop",pod=~"api-[a-z0-9]+-[a-z0-9]{5}"}[2m]))', threshold: '51' } }]);
    expect(out.api?.rationale).toMatch(/delete the HPA shop\/api when applying this ScaledObject/);
    expect(out.api?.rationale).not.toMatch(/prometheus-adapter/);
    expect(out.mailer?.kind).toBe('ScaledObject');
    expect(out.mailer?.spec.triggers).toEqual([{ type: 'prometheus', metricType: 'AverageValue', metadata: { serverAddress, query: 'sum(kafka_consumergroup_lag{namespace="kafka",consumergroup="mailer",topic="orders"})', threshold: '5100' } }]);
    expect([out.mailer?.spec.minReplicaCount, out.mailer?.spec.maxReplicaCount]).toEqual([2, 4]);
  });

  it('keep CPU scaling an HPA with `keda`', () => {
    const load = daily(0.3, 0.9);
    const cpuBound = context({
      workloads: [workload({ name: 'web', timeline: { replicas: timeline(() => 3), cpuUtilization: timeline((i) => load(i) * 0.7) } })],
      services: [service({ name: 'web', rps: timeline((i) => load(i) * 300), p99: timeline((i) => 0.05 + load(i) * 0.02) })],
    });
    const [rec] = recommend(cpuBound, { ...DEFAULT_RECOMMEND, keda: { serverAddress: 'http://prometheus:9090' } }).recommendations.filter((r) => r.kind === 'hpa');
    expect(rec?.manifest).toMatch(/^apiVersion: autoscaling\/v2\nkind: HorizontalPodAutoscaler/);
    expect(rec?.manifest).toMatch(/- type: Resource\n\s+resource:\n\s+name: cpu/);
  });
});
