/**
 * autoscaling/v2 HorizontalPodAutoscaler proposals. Inputs use Headroom's units (utilisation as a fraction,
 * cores, bytes, plain numbers); the builder writes them the way Kubernetes stores them (percent, "250m",
 * "512Mi", "12500m") and validates the result before returning it.
 */
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IHorizontalPodAutoscalerBehavior } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscalerBehavior';
import type { IHPAScalingRules } from 'kubernetes-models/autoscaling/v2/HPAScalingRules';
import type { IMetricSpec } from 'kubernetes-models/autoscaling/v2/MetricSpec';
import type { IMetricTarget } from 'kubernetes-models/autoscaling/v2/MetricTarget';
import type { HpaScalingPolicy } from '../kubernetes/model';
import type { LabelSelector } from '../kubernetes/selectors';
import { type Provenance, type WorkloadRef, provenanceAnnotations } from './metadata';
import { formatCpu, formatDecimal, formatMemory } from './quantity';
import { validateKubernetesObject } from './validate';

/** A CPU or memory target: utilisation of the request (0.7 is 70 %), or an absolute per-pod average. */
export type ResourceTargetInput =
  | { type: 'Utilization'; averageUtilization: number }
  /** Cores for cpu, bytes for memory. */
  | { type: 'AverageValue'; averageValue: number };

export type HpaMetricInput =
  | { type: 'Resource'; resource: 'cpu' | 'memory'; target: ResourceTargetInput }
  /**
   * A per-pod metric from the custom metrics API, e.g. `http_requests_per_second` served by
   * prometheus-adapter (see `prometheusAdapterRule`); the HPA compares the pods' average with `averageValue`.
   */
  | { type: 'Pods'; metricName: string; selector?: LabelSelector; averageValue: number }
  /**
   * A metric from the external metrics API, e.g. Kafka consumer lag with a `topic` selector. `Value` compares
   * the metric as is; `AverageValue` divides it by the replica count first (lag per consumer).
   */
  | {
      type: 'External';
      metricName: string;
      selector?: LabelSelector;
      target: { type: 'Value'; value: number } | { type: 'AverageValue'; averageValue: number };
    };

/** One direction of `behavior`. Policies use the model's units: a Percent policy's `ratio` 1 is 100 %. */
export interface ScalingRulesInput {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies: HpaScalingPolicy[];
}

export interface HpaBehaviorInput {
  scaleUp?: ScalingRulesInput;
  scaleDown?: ScalingRulesInput;
}

/**
 * Scale up fast, scale down slow.
 *
 * - Up: Kubernetes' own default written out (no stabilisation; the larger of doubling or +4 pods every
 *   15 s), so the reviewer sees it rather than having to know it.
 * - Down: the default 300 s stabilisation, then at most 10 % or one pod a minute, whichever is more. The
 *   one-pod policy matters: the HPA rounds a percentage step up to whole pods kept, so "10 %" alone never
 *   lets 3 replicas become 2.
 */
export const DEFAULT_HPA_BEHAVIOR: HpaBehaviorInput = {
  scaleUp: {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Percent', ratio: 1, periodSeconds: 15 },
      { type: 'Pods', pods: 4, periodSeconds: 15 },
    ],
  },
  scaleDown: {
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Max',
    policies: [
      { type: 'Percent', ratio: 0.1, periodSeconds: 60 },
      { type: 'Pods', pods: 1, periodSeconds: 60 },
    ],
  },
};

export interface HpaInput extends Provenance {
  target: WorkloadRef;
  /** Defaults to the workload's name. */
  name?: string;
  minReplicas: number;
  maxReplicas: number;
  metrics: HpaMetricInput[];
  /** Defaults to DEFAULT_HPA_BEHAVIOR; `{}` leaves both directions to Kubernetes' defaults. */
  behavior?: HpaBehaviorInput;
}

/** A validated autoscaling/v2 HPA; throws a ManifestError naming the field when the input makes an invalid one. */
export function hpaManifest(input: HpaInput): IHorizontalPodAutoscaler {
  const hpa: IHorizontalPodAutoscaler = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name: input.name ?? input.target.name,
      namespace: input.target.namespace,
      annotations: provenanceAnnotations(input),
    },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: input.target.kind, name: input.target.name },
      minReplicas: input.minReplicas,
      maxReplicas: input.maxReplicas,
      metrics: input.metrics.map(metricSpec),
    },
  };
  const behavior = hpaBehavior(input.behavior ?? DEFAULT_HPA_BEHAVIOR);
  // `behavior: {}` means Kubernetes' defaults, as leaving it out does; it would only be noise.
  if (hpa.spec && Object.keys(behavior).length > 0) hpa.spec.behavior = behavior;
  validateKubernetesObject(hpa);
  return hpa;
}

/** `behavior` as autoscaling/v2 writes it; also what KEDA's `advanced.horizontalPodAutoscalerConfig` takes. */
export function hpaBehavior(behavior: HpaBehaviorInput): IHorizontalPodAutoscalerBehavior {
  const result: IHorizontalPodAutoscalerBehavior = {};
  if (behavior.scaleUp) result.scaleUp = scalingRules(behavior.scaleUp);
  if (behavior.scaleDown) result.scaleDown = scalingRules(behavior.scaleDown);
  return result;
}

function scalingRules(rules: ScalingRulesInput): IHPAScalingRules {
  return {
    stabilizationWindowSeconds: rules.stabilizationWindowSeconds,
    selectPolicy: rules.selectPolicy,
    policies: rules.policies.map((policy) =>
      policy.type === 'Pods'
        ? { type: 'Pods', value: policy.pods, periodSeconds: policy.periodSeconds }
        : { type: 'Percent', value: percent(policy.ratio), periodSeconds: policy.periodSeconds },
    ),
  };
}

function metricSpec(metric: HpaMetricInput, index: number): IMetricSpec {
  const at = `metrics[${index}]`;
  switch (metric.type) {
    case 'Resource': {
      const { target } = metric;
      const format = metric.resource === 'cpu' ? formatCpu : formatMemory;
      const metricTarget: IMetricTarget =
        target.type === 'Utilization'
          ? { type: 'Utilization', averageUtilization: percent(target.averageUtilization) }
          : { type: 'AverageValue', averageValue: format(target.averageValue, `${at}.target.averageValue`) };
      return { type: 'Resource', resource: { name: metric.resource, target: metricTarget } };
    }
    case 'Pods':
      return {
        type: 'Pods',
        pods: {
          metric: { name: metric.metricName, selector: metric.selector },
          target: { type: 'AverageValue', averageValue: formatDecimal(metric.averageValue, `${at}.averageValue`) },
        },
      };
    case 'External': {
      const { target } = metric;
      const metricTarget: IMetricTarget =
        target.type === 'Value'
          ? { type: 'Value', value: formatDecimal(target.value, `${at}.target.value`) }
          : { type: 'AverageValue', averageValue: formatDecimal(target.averageValue, `${at}.target.averageValue`) };
      return {
        type: 'External',
        external: { metric: { name: metric.metricName, selector: metric.selector }, target: metricTarget },
      };
    }
  }
}

/**
 * A fraction as the whole percent Kubernetes stores. Rounded to the nearest percent: the HPA ignores
 * deviations within its 10 % tolerance anyway, so 70.4 % and 70 % behave the same.
 */
function percent(ratio: number): number {
  return Math.round(ratio * 100);
}
