import { describe, expect, it } from 'vitest';
import {
  type KedaInput,
  kedaScaledObject,
  kedaScaledObjectSchema,
  prometheusAdapterRule,
  prometheusAdapterRuleSchema,
} from '../../../core/export/request-rate-scaling';
import { toYaml } from '../../../core/export/yaml';
import { rejection } from './helpers';

const keda: KedaInput = {
  target: { namespace: 'shop', kind: 'Deployment', name: 'checkout' },
  load: { counter: { series: 'http_requests_total' } },
  serverAddress: 'http://prometheus-operated.monitoring.svc:9090',
  targetPerReplica: 40,
  minReplicas: 3,
  maxReplicas: 12,
  generatedFrom: 'HPA-ON-CPU/shop/checkout',
  rationale: 'p99 latency follows requests per second, not CPU',
};

describe('prometheusAdapterRule', () => {
  it('exposes a per-pod request rate under the name the HPA asks for (golden)', () => {
    const rule = prometheusAdapterRule({
      counter: { series: 'istio_requests_total', matchers: { reporter: 'destination' } },
      metricName: 'http_requests_per_second',
    });
    expect(toYaml([{ rules: [rule] }])).toMatchInlineSnapshot(`
      "rules:
        - name:
            as: http_requests_per_second
            matches: ^istio_requests_total$
          metricsQuery: sum(rate(<<.Series>>{<<.LabelMatchers>>,reporter="destination"}[2m])) by (<<.GroupBy>>)
          resources:
            overrides:
              namespace:
                resource: namespace
              pod:
                resource: pod
          seriesQuery: istio_requests_total{namespace!="",pod!="",reporter="destination"}
      "
    `);
  });

  it('uses the namespace and pod label names it is told, for older scrape configs', () => {
    const rule = prometheusAdapterRule({
      counter: { series: 'http_requests_total', namespaceLabel: 'kubernetes_namespace', podLabel: 'kubernetes_pod_name', rateWindow: '5m' },
      metricName: 'http_requests_per_second',
    });
    expect(rule.seriesQuery).toBe('http_requests_total{kubernetes_namespace!="",kubernetes_pod_name!=""}');
    expect(rule.resources.overrides).toEqual({
      kubernetes_namespace: { resource: 'namespace' },
      kubernetes_pod_name: { resource: 'pod' },
    });
    expect(rule.metricsQuery).toContain('[5m]');
  });

  it('refuses names PromQL cannot hold, listing each', () => {
    const error = rejection(() =>
      prometheusAdapterRule({
        counter: { series: 'http-requests', podLabel: 'pod name', matchers: { 'bad-label': 'x' }, rateWindow: 'two minutes' },
        metricName: 'requests/s',
      }),
    );
    expect(error.issues.map((issue) => issue.field)).toEqual([
      'metricName',
      'counter.series',
      'counter.podLabel',
      'counter.matchers.bad-label',
      'counter.rateWindow',
    ]);
  });

  it('has a zod schema that catches rules the adapter would serve nothing from', () => {
    const rule = prometheusAdapterRule({ counter: { series: 'http_requests_total' }, metricName: 'http_requests_per_second' });
    expect(prometheusAdapterRuleSchema.safeParse(rule).success).toBe(true);
    const misses = prometheusAdapterRuleSchema.safeParse({ ...rule, name: { matches: '^istio_requests_total$', as: 'rps' } });
    expect(misses.success).toBe(false);
    expect(misses.error?.issues[0]?.path).toEqual(['name', 'matches']);
    const noGroupBy = prometheusAdapterRuleSchema.safeParse({ ...rule, metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m]))' });
    expect(noGroupBy.error?.issues[0]?.path).toEqual(['metricsQuery']);
    const extra = prometheusAdapterRuleSchema.safeParse({ ...rule, seriesFilter: [] });
    expect(extra.success).toBe(false);
  });
});

describe('kedaScaledObject', () => {
  it('writes a ScaledObject with a prometheus trigger and HPA behavior (golden)', () => {
    const scaledObject = kedaScaledObject({
      ...keda,
      load: { counter: { series: 'http_server_request_duration_seconds_count' } },
      targetPerReplica: 12.5,
    });
    expect(toYaml([scaledObject])).toMatchInlineSnapshot(`
      "apiVersion: keda.sh/v1alpha1
      kind: ScaledObject
      metadata:
        name: checkout
        namespace: shop
        annotations:
          headroom.dev/generated-from: HPA-ON-CPU/shop/checkout
          headroom.dev/rationale: p99 latency follows requests per second, not CPU
      spec:
        advanced:
          horizontalPodAutoscalerConfig:
            behavior:
              scaleDown:
                policies:
                  - type: Percent
                    periodSeconds: 60
                    value: 10
                  - type: Pods
                    periodSeconds: 60
                    value: 1
                selectPolicy: Max
                stabilizationWindowSeconds: 300
              scaleUp:
                policies:
                  - type: Percent
                    periodSeconds: 15
                    value: 100
                  - type: Pods
                    periodSeconds: 15
                    value: 4
                selectPolicy: Max
                stabilizationWindowSeconds: 0
        maxReplicaCount: 12
        minReplicaCount: 3
        scaleTargetRef:
          apiVersion: apps/v1
          kind: Deployment
          name: checkout
        triggers:
          - type: prometheus
            metadata:
              query: sum(rate(http_server_request_duration_seconds_count{namespace="shop",pod=~"checkout-[a-z0-9]+-[a-z0-9]{5}"}[2m]))
              serverAddress: http://prometheus-operated.monitoring.svc:9090
              threshold: "12.5"
            metricType: AverageValue
      "
    `);
  });

  it.each([
    ['Deployment', 'checkout', 'pod=~"checkout-[a-z0-9]+-[a-z0-9]{5}"'],
    ['StatefulSet', 'ledger', 'pod=~"ledger-[0-9]+"'],
    ['DaemonSet', 'node-agent', 'pod=~"node-agent-[a-z0-9]{5}"'],
    ['Deployment', 'checkout.v2', 'pod=~"checkout\\\\.v2-[a-z0-9]+-[a-z0-9]{5}"'],
  ] as const)('picks the pods of a %s %s by the names its controller gives them', (kind, name, matcher) => {
    const query = kedaScaledObject({ ...keda, target: { namespace: 'shop', kind, name } }).spec.triggers[0]?.metadata.query;
    expect(query).toContain(matcher);
    expect(query).toMatch(/^sum\(rate\(http_requests_total\{namespace="shop",pod=~".*"\}\[2m\]\)\)$/);
  });

  it('quotes label values as PromQL strings', () => {
    const query = kedaScaledObject({ ...keda, load: { counter: { series: 'http_requests_total', matchers: { route: '/a"b\\c' } } } })
      .spec.triggers[0]?.metadata.query;
    expect(query).toContain('route="/a\\"b\\\\c"');
  });

  it('refuses minReplicas 0: the pods’ own counters cannot wake a workload scaled to zero', () => {
    const error = rejection(() => kedaScaledObject({ ...keda, minReplicas: 0 }));
    expect(error.field).toBe('minReplicas');
  });

  it.each([
    [{ maxReplicas: 2 }, 'spec.maxReplicaCount', 2],
    [{ targetPerReplica: 0 }, 'spec.triggers[0].metadata.threshold', '0'],
    [{ targetPerReplica: Number.NaN }, 'spec.triggers[0].metadata.threshold', 'NaN'],
    [{ serverAddress: 'prometheus:9090' }, 'spec.triggers[0].metadata.serverAddress', 'prometheus:9090'],
    [{ name: 'Checkout' }, 'metadata.name', 'Checkout'],
    [
      { behavior: { scaleDown: { stabilizationWindowSeconds: 7200, policies: [{ type: 'Pods', pods: 1, periodSeconds: 60 }] } } },
      'spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds',
      7200,
    ],
  ] as const)('refuses %j at %s', (change, field, value) => {
    const error = rejection(() => kedaScaledObject({ ...keda, ...(change as Partial<KedaInput>) }));
    expect(error.issues.map((issue) => [issue.field, issue.value])).toContainEqual([field, value]);
  });

  it('scales on a query of load that does not come from the pods (consumer lag), which may start from zero', () => {
    const query = 'sum(kafka_consumergroup_lag{namespace="kafka",consumergroup="mailer",topic="orders"})';
    const scaledObject = kedaScaledObject({ ...keda, load: { query }, targetPerReplica: 5100, minReplicas: 0 });
    expect(scaledObject.spec.triggers).toEqual([{ type: 'prometheus', metricType: 'AverageValue', metadata: { serverAddress: keda.serverAddress, query, threshold: '5100' } }]);
    expect(scaledObject.spec.minReplicaCount).toBe(0);
  });

  it('has a zod schema that rejects triggers and fields Headroom does not write', () => {
    const scaledObject = kedaScaledObject(keda);
    expect(kedaScaledObjectSchema.safeParse(scaledObject).success).toBe(true);
    const cpuTrigger = { ...scaledObject, spec: { ...scaledObject.spec, triggers: [{ type: 'cpu', metadata: { value: '50' } }] } };
    expect(kedaScaledObjectSchema.safeParse(cpuTrigger).success).toBe(false);
    const suffixed = structuredClone(scaledObject);
    (suffixed.spec.triggers[0] as { metadata: { threshold: string } }).metadata.threshold = '500m';
    expect(kedaScaledObjectSchema.safeParse(suffixed).success).toBe(false);
  });
});
