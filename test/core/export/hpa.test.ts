import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { describe, expect, it } from 'vitest';
import { type HpaInput, DEFAULT_HPA_BEHAVIOR, hpaManifest } from '../../../core/export/hpa';
import { validateKubernetesObject } from '../../../core/export/validate';
import { toYaml } from '../../../core/export/yaml';
import { rejection } from './helpers';

const base: HpaInput = {
  target: { namespace: 'shop', kind: 'Deployment', name: 'checkout' },
  minReplicas: 3,
  maxReplicas: 12,
  metrics: [{ type: 'Pods', metricName: 'http_requests_per_second', averageValue: 40 }],
  generatedFrom: 'HPA-ON-CPU/shop/checkout',
  rationale: 'p99 latency follows requests per second, not CPU',
};

describe('hpaManifest', () => {
  it('writes every metric source, behavior and provenance as autoscaling/v2 (golden)', () => {
    const hpa = hpaManifest({
      ...base,
      name: 'checkout-rps',
      metrics: [
        { type: 'Resource', resource: 'cpu', target: { type: 'Utilization', averageUtilization: 0.7 } },
        { type: 'Resource', resource: 'memory', target: { type: 'AverageValue', averageValue: 1.5 * 1024 ** 3 } },
        { type: 'Resource', resource: 'cpu', target: { type: 'AverageValue', averageValue: 0.35 } },
        { type: 'Pods', metricName: 'http_requests_per_second', averageValue: 12.5 },
        {
          type: 'External',
          metricName: 'kafka_consumergroup_lag',
          selector: { matchLabels: { topic: 'orders', consumergroup: 'checkout' } },
          target: { type: 'AverageValue', averageValue: 1000 },
        },
        {
          type: 'External',
          metricName: 'sqs_messages_visible',
          selector: { matchExpressions: [{ key: 'queue', operator: 'In', values: ['orders', 'refunds'] }] },
          target: { type: 'Value', value: 500 },
        },
      ],
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 30, policies: [{ type: 'Pods', pods: 2, periodSeconds: 60 }] },
        scaleDown: {
          stabilizationWindowSeconds: 600,
          selectPolicy: 'Min',
          policies: [{ type: 'Percent', ratio: 0.2, periodSeconds: 120 }],
        },
      },
    });
    expect(toYaml([hpa])).toMatchInlineSnapshot(`
      "apiVersion: autoscaling/v2
      kind: HorizontalPodAutoscaler
      metadata:
        name: checkout-rps
        namespace: shop
        annotations:
          headroom.dev/generated-from: HPA-ON-CPU/shop/checkout
          headroom.dev/rationale: p99 latency follows requests per second, not CPU
      spec:
        behavior:
          scaleDown:
            policies:
              - type: Percent
                periodSeconds: 120
                value: 20
            selectPolicy: Min
            stabilizationWindowSeconds: 600
          scaleUp:
            policies:
              - type: Pods
                periodSeconds: 60
                value: 2
            stabilizationWindowSeconds: 30
        maxReplicas: 12
        metrics:
          - type: Resource
            resource:
              name: cpu
              target:
                type: Utilization
                averageUtilization: 70
          - type: Resource
            resource:
              name: memory
              target:
                type: AverageValue
                averageValue: 1536Mi
          - type: Resource
            resource:
              name: cpu
              target:
                type: AverageValue
                averageValue: 350m
          - type: Pods
            pods:
              metric:
                name: http_requests_per_second
              target:
                type: AverageValue
                averageValue: 12500m
          - type: External
            external:
              metric:
                name: kafka_consumergroup_lag
                selector:
                  matchLabels:
                    consumergroup: checkout
                    topic: orders
              target:
                type: AverageValue
                averageValue: "1000"
          - type: External
            external:
              metric:
                name: sqs_messages_visible
                selector:
                  matchExpressions:
                    - key: queue
                      operator: In
                      values:
                        - orders
                        - refunds
              target:
                type: Value
                value: "500"
        minReplicas: 3
        scaleTargetRef:
          apiVersion: apps/v1
          kind: Deployment
          name: checkout
      "
    `);
  });

  it('writes "scale up fast, scale down slow" when no behavior is given', () => {
    const hpa = hpaManifest(base);
    expect(hpa.spec?.behavior).toEqual({
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Percent', value: 100, periodSeconds: 15 },
          { type: 'Pods', value: 4, periodSeconds: 15 },
        ],
      },
      scaleDown: {
        stabilizationWindowSeconds: 300,
        selectPolicy: 'Max',
        policies: [
          { type: 'Percent', value: 10, periodSeconds: 60 },
          { type: 'Pods', value: 1, periodSeconds: 60 },
        ],
      },
    });
    expect(DEFAULT_HPA_BEHAVIOR.scaleDown?.policies).toContainEqual({ type: 'Pods', pods: 1, periodSeconds: 60 });
  });

  it('passes kubernetes-models validation on its own', () => {
    expect(() => new HorizontalPodAutoscaler(hpaManifest(base)).validate()).not.toThrow();
  });

  it('names itself after the workload and scales that workload', () => {
    const hpa = hpaManifest({ ...base, target: { namespace: 'data', kind: 'StatefulSet', name: 'ledger' } });
    expect(hpa.metadata).toMatchObject({ name: 'ledger', namespace: 'data' });
    expect(hpa.spec?.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'ledger' });
  });

  it('keeps the rationale to one short line', () => {
    const hpa = hpaManifest({ ...base, rationale: `scales on RPS:\n  ${'because '.repeat(40)}` });
    const rationale = hpa.metadata?.annotations?.['headroom.dev/rationale'] ?? '';
    expect(rationale).not.toContain('\n');
    expect(rationale.length).toBe(200);
    expect(rationale.endsWith('…')).toBe(true);
  });

  it('refuses an HPA whose minReplicas is above maxReplicas', () => {
    const error = rejection(() => hpaManifest({ ...base, minReplicas: 5, maxReplicas: 2 }));
    expect(error.field).toBe('spec.maxReplicas');
    expect(error.value).toBe(2);
    expect(error.message).toBe(
      'HorizontalPodAutoscaler shop/checkout: spec.maxReplicas must be greater than or equal to minReplicas (5) (got 2)',
    );
  });

  it('refuses an HPA without metrics, which would silently scale on 80 % CPU', () => {
    const error = rejection(() => hpaManifest({ ...base, metrics: [] }));
    expect(error.field).toBe('spec.metrics');
    expect(error.message).toContain('80 % CPU');
  });

  it('refuses a utilisation target of 0', () => {
    const error = rejection(() =>
      hpaManifest({
        ...base,
        metrics: [{ type: 'Resource', resource: 'cpu', target: { type: 'Utilization', averageUtilization: 0 } }],
      }),
    );
    expect(error.field).toBe('spec.metrics[0].resource.target.averageUtilization');
    expect(error.value).toBe(0);
  });

  it('refuses a utilisation that rounds to 0 % and one that is not a number', () => {
    const tiny = rejection(() =>
      hpaManifest({
        ...base,
        metrics: [{ type: 'Resource', resource: 'memory', target: { type: 'Utilization', averageUtilization: 0.004 } }],
      }),
    );
    expect(tiny.field).toBe('spec.metrics[0].resource.target.averageUtilization');
    const notANumber = rejection(() =>
      hpaManifest({
        ...base,
        metrics: [{ type: 'Resource', resource: 'cpu', target: { type: 'Utilization', averageUtilization: Number.NaN } }],
      }),
    );
    expect(notANumber.field).toBe('spec.metrics[0].resource.target.averageUtilization');
    expect(notANumber.message).toContain('must be integer');
  });

  it('refuses a zero target in the manifest, and a negative one in the input before it is formatted', () => {
    expect(
      rejection(() => hpaManifest({ ...base, metrics: [{ type: 'Pods', metricName: 'rps', averageValue: 0 }] })).field,
    ).toBe('spec.metrics[0].pods.target.averageValue');
    expect(
      rejection(() => hpaManifest({ ...base, metrics: [{ type: 'Pods', metricName: 'rps', averageValue: -3 }] })).field,
    ).toBe('metrics[0].averageValue');
  });

  it('refuses minReplicas 0, behavior outside the API server limits, and a bad name, listing every problem', () => {
    const error = rejection(() =>
      hpaManifest({
        ...base,
        name: 'Checkout_HPA',
        minReplicas: 0,
        behavior: {
          scaleUp: { stabilizationWindowSeconds: 4000, policies: [{ type: 'Pods', pods: 0, periodSeconds: 15 }] },
          scaleDown: { policies: [] },
        },
      }),
    );
    expect(error.issues.map((issue) => issue.field)).toEqual([
      'metadata.name',
      'spec.minReplicas',
      'spec.behavior.scaleUp.stabilizationWindowSeconds',
      'spec.behavior.scaleUp.policies[0].value',
      'spec.behavior.scaleDown.policies',
    ]);
  });
});

describe('validateKubernetesObject on HPAs written elsewhere', () => {
  const valid = hpaManifest(base);

  it('accepts the builder output and returns it', () => {
    expect(validateKubernetesObject(valid)).toBe(valid);
  });

  it('reports schema errors from kubernetes-models with the field and value', () => {
    const error = rejection(() =>
      validateKubernetesObject({ ...valid, spec: { ...valid.spec, maxReplicas: 'twelve' } }),
    );
    expect(error.field).toBe('spec.maxReplicas');
    expect(error.value).toBe('twelve');
    expect(error.message).toContain('must be integer');
  });

  it('reports a missing required field', () => {
    const { scaleTargetRef, ...withoutTarget } = valid.spec ?? { scaleTargetRef: undefined };
    expect(scaleTargetRef).toBeDefined();
    const error = rejection(() => validateKubernetesObject({ ...valid, spec: withoutTarget }));
    expect(error.field).toBe('spec.scaleTargetRef');
  });

  it('refuses target types a metric source does not support, and a metric without its source', () => {
    const error = rejection(() =>
      validateKubernetesObject({
        ...valid,
        spec: {
          ...valid.spec,
          metrics: [
            { type: 'Pods', pods: { metric: { name: 'rps' }, target: { type: 'Utilization', averageUtilization: 50 } } },
            { type: 'Resource', resource: { name: 'cpu', target: { type: 'Value', value: '1' } } },
            { type: 'External' },
          ],
        },
      }),
    );
    expect(error.issues.map((issue) => [issue.field, issue.value])).toEqual([
      ['spec.metrics[0].pods.target.type', 'Utilization'],
      ['spec.metrics[1].resource.target.type', 'Value'],
      ['spec.metrics[2].external', undefined],
    ]);
  });

  it('refuses kinds it does not export', () => {
    expect(rejection(() => validateKubernetesObject({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler' })).field).toBe(
      'kind',
    );
  });
});
