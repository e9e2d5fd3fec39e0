/**
 * Scaling on requests per second, the metric closest to user latency for most HTTP services. An HPA cannot
 * read Prometheus by itself; there are two common ways to feed it, and Headroom writes both:
 *
 * - prometheus-adapter serves the custom metrics API: `prometheusAdapterRule` is the `rules` entry that
 *   exposes a per-pod `http_requests_per_second`, for an HPA metric of type Pods (see `hpaManifest`);
 * - KEDA queries Prometheus itself: `kedaScaledObject` is a ScaledObject with a `prometheus` trigger, which
 *   creates and owns the HPA (so it replaces, not accompanies, an HPA for the same workload).
 *
 * Label assumptions, which decide whether either returns anything:
 * - the request counter is one of: promhttp's `http_requests_total`, OpenTelemetry's
 *   `http_server_request_duration_seconds_count`, Spring/Micrometer's `http_server_requests_seconds_count`,
 *   Istio's `istio_requests_total` (then add the matcher `reporter="destination"`, or every request is
 *   counted twice, once by each side's proxy);
 * - each series carries the pod's namespace and name as `namespace` and `pod`. Applications do not emit
 *   these: Prometheus adds them when scraping through Kubernetes service discovery (kube-prometheus
 *   ServiceMonitors and PodMonitors do by default). Other names (`kubernetes_namespace`,
 *   `kubernetes_pod_name` in older scrape configs) are set with `namespaceLabel` and `podLabel`.
 */
import { z } from 'zod';
import type { WorkloadKind } from '../kubernetes/model';
import { type ManifestIssue, throwIfIssues } from './errors';
import { type HpaBehaviorInput, DEFAULT_HPA_BEHAVIOR, hpaBehavior } from './hpa';
import { type Provenance, type WorkloadRef, provenanceAnnotations } from './metadata';
import { behaviorIssues, zodIssues } from './validate';

export interface RequestCounter {
  /** The counter of requests, e.g. `http_requests_total`. */
  series: string;
  /** Equality matchers added to every selector, e.g. `{ reporter: 'destination' }` for Istio. */
  matchers?: Readonly<Record<string, string>>;
  /** Defaults to `namespace`. */
  namespaceLabel?: string;
  /** Defaults to `pod`. */
  podLabel?: string;
  /**
   * The `rate()` window; defaults to 2m, which holds at least four samples at the common 30 s scrape
   * interval (rate needs two, and a missed scrape should not empty it).
   */
  rateWindow?: string;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const PROMQL_DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;
const DEFAULT_RATE_WINDOW = '2m';

const metricNameSchema = z.string().regex(METRIC_NAME, 'must be a Prometheus metric name');
const labelNameSchema = z.string().regex(LABEL_NAME, 'must be a Prometheus label name');
const dnsLabelSchema = z.string().max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label');
const dnsSubdomainSchema = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'must be a DNS subdomain');

/**
 * One entry of prometheus-adapter's `rules` (its config file, `rules:` list). The fields and the `<<.Series>>`,
 * `<<.LabelMatchers>>` and `<<.GroupBy>>` template variables are the adapter's documented config format.
 */
export const prometheusAdapterRuleSchema = z
  .strictObject({
    seriesQuery: z.string().min(1),
    resources: z.strictObject({
      overrides: z.record(
        labelNameSchema,
        z.strictObject({ group: z.string().optional(), resource: z.string().min(1) }),
      ),
    }),
    name: z.strictObject({
      matches: z.string().refine(isRegExp, 'must be a regular expression'),
      as: metricNameSchema,
    }),
    metricsQuery: z
      .string()
      .refine(
        (query) => ['<<.Series>>', '<<.LabelMatchers>>', '<<.GroupBy>>'].every((variable) => query.includes(variable)),
        'must use <<.Series>>, <<.LabelMatchers>> and <<.GroupBy>>, or the adapter cannot answer per pod',
      ),
  })
  .superRefine((rule, context) => {
    // `name.matches` is tried against the series names the seriesQuery finds; a pattern that misses them
    // exposes no metric at all, and the HPA reports "unable to get metric" without saying why.
    const series = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{/.exec(rule.seriesQuery)?.[1];
    if (series !== undefined && isRegExp(rule.name.matches) && !new RegExp(rule.name.matches).test(series)) {
      context.addIssue({ code: 'custom', path: ['name', 'matches'], message: `does not match the series ${series}` });
    }
  });

export type PrometheusAdapterRule = z.infer<typeof prometheusAdapterRuleSchema>;

export interface AdapterRuleInput {
  counter: RequestCounter;
  /** The name the HPA asks for, e.g. `http_requests_per_second`. */
  metricName: string;
}

/**
 * The prometheus-adapter rule serving `metricName` as each pod's request rate. The adapter fills in
 * `<<.LabelMatchers>>` with the namespace and pods the HPA asks about and groups by pod, so the HPA gets one
 * value per pod and compares their average with its target.
 */
export function prometheusAdapterRule(input: AdapterRuleInput): PrometheusAdapterRule {
  const counter = checkedCounter(
    input.counter,
    'Prometheus adapter rule',
    METRIC_NAME.test(input.metricName)
      ? []
      : [{ field: 'metricName', value: input.metricName, message: 'must be a Prometheus metric name' }],
  );
  const extra = extraMatchers(counter);
  const seriesMatchers = [`${counter.namespaceLabel}!=""`, `${counter.podLabel}!=""`, ...extra].join(',');
  const queryMatchers = ['<<.LabelMatchers>>', ...extra].join(',');
  const rule: PrometheusAdapterRule = {
    seriesQuery: `${counter.series}{${seriesMatchers}}`,
    resources: {
      overrides: {
        [counter.namespaceLabel]: { resource: 'namespace' },
        [counter.podLabel]: { resource: 'pod' },
      },
    },
    name: { matches: `^${escapeRegExp(counter.series)}$`, as: input.metricName },
    metricsQuery: `sum(rate(<<.Series>>{${queryMatchers}}[${counter.rateWindow}])) by (<<.GroupBy>>)`,
  };
  throwIfIssues('Prometheus adapter rule', zodIssues(prometheusAdapterRuleSchema, rule));
  return rule;
}

// The shape of autoscaling/v2 `behavior`; its allowed values and ranges are the API server's, checked by
// `behaviorIssues` as for an HPA.
const policySchema = z.strictObject({ type: z.string(), value: z.number(), periodSeconds: z.number() });
const scalingRulesSchema = z.strictObject({
  stabilizationWindowSeconds: z.number().optional(),
  selectPolicy: z.string().optional(),
  policies: z.array(policySchema).optional(),
});

/** A decimal number as KEDA parses trigger thresholds (Go's strconv.ParseFloat); no Kubernetes suffixes. */
const thresholdSchema = z.string().regex(/^\d+(\.\d+)?$/, 'must be a plain decimal number');

/**
 * The part of KEDA's `keda.sh/v1alpha1` ScaledObject that Headroom writes: a scale target, replica bounds,
 * HPA behaviour and `prometheus` triggers. Field names follow KEDA's ScaledObject reference; trigger
 * metadata values are strings because KEDA reads them as a string map.
 */
export const kedaScaledObjectSchema = z.strictObject({
  apiVersion: z.literal('keda.sh/v1alpha1'),
  kind: z.literal('ScaledObject'),
  metadata: z.strictObject({
    name: dnsSubdomainSchema,
    namespace: dnsLabelSchema,
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: z
    .strictObject({
      scaleTargetRef: z.strictObject({
        apiVersion: z.string().optional(),
        kind: z.string().optional(),
        name: dnsSubdomainSchema,
      }),
      minReplicaCount: z.number().int().min(0),
      maxReplicaCount: z.number().int().min(1),
      advanced: z
        .strictObject({
          horizontalPodAutoscalerConfig: z.strictObject({
            behavior: z.strictObject({
              scaleUp: scalingRulesSchema.optional(),
              scaleDown: scalingRulesSchema.optional(),
            }),
          }),
        })
        .optional(),
      triggers: z
        .array(
          z.strictObject({
            type: z.literal('prometheus'),
            metricType: z.enum(['AverageValue', 'Value']).optional(),
            metadata: z.strictObject({
              serverAddress: z.url({ protocol: /^https?$/ }),
              query: z.string().min(1),
              threshold: thresholdSchema.refine((text) => Number(text) > 0, 'must be greater than 0'),
            }),
          }),
        )
        .min(1),
    })
    .refine((spec) => spec.maxReplicaCount >= spec.minReplicaCount, {
      path: ['maxReplicaCount'],
      message: 'must be greater than or equal to minReplicaCount',
    }),
});

export type KedaScaledObject = z.infer<typeof kedaScaledObjectSchema>;

export interface KedaInput extends Provenance {
  target: WorkloadRef;
  /** Defaults to the workload's name. */
  name?: string;
  /**
   * What the workload scales on: its request counter (the trigger sums its rate over the workload's pods),
   * or a PromQL query of the workload's whole load that does not come from its own pods (a consumer
   * group's lag from kafka_exporter).
   */
  load: { counter: RequestCounter } | { query: string };
  /** Prometheus as the KEDA operator reaches it, e.g. http://prometheus-operated.monitoring.svc:9090. */
  serverAddress: string;
  /** The load each replica should handle: requests per second, or messages of lag. */
  targetPerReplica: number;
  minReplicas: number;
  maxReplicas: number;
  /** Defaults to DEFAULT_HPA_BEHAVIOR. */
  behavior?: HpaBehaviorInput;
}

/**
 * A KEDA ScaledObject that scales the workload on its request rate, or on a query of its load.
 *
 * The trigger uses `metricType: AverageValue`: KEDA divides the query's result by the replica count, so the
 * query is the workload's total rate and the threshold is per replica. The workload's pods are picked by
 * name, as their controller names them, because request counters do not say which workload they belong to:
 * `<name>-<pod-template-hash>-<5 chars>` for a Deployment, `<name>-<ordinal>` for a StatefulSet,
 * `<name>-<5 chars>` for a DaemonSet. Kubernetes cuts pod names to 63 characters, so a Deployment named
 * with more than about 47 characters does not match; and a DaemonSet `checkout-x` next to a Deployment
 * `checkout` can be mistaken for it.
 *
 * minReplicas must be at least 1: the query reads the pods' own counters, so at zero replicas it returns
 * nothing and the workload would never scale up again. (For the same reason no `activationThreshold` is
 * written: KEDA uses it only to wake a workload from zero.)
 */
export function kedaScaledObject(input: KedaInput): KedaScaledObject {
  const { target } = input;
  const subject = `ScaledObject ${target.namespace}/${input.name ?? target.name}`;
  const inputIssues: ManifestIssue[] = [];
  if ('counter' in input.load && !(input.minReplicas >= 1)) {
    inputIssues.push({
      field: 'minReplicas',
      value: input.minReplicas,
      message: 'must be at least 1: a query over the pods’ own counters cannot wake a workload scaled to zero',
    });
  }
  const query = 'counter' in input.load ? requestRateQuery(target, checkedCounter(input.load.counter, subject, inputIssues)) : input.load.query;
  throwIfIssues(subject, inputIssues);
  const scaledObject: KedaScaledObject = {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: {
      name: input.name ?? target.name,
      namespace: target.namespace,
      annotations: provenanceAnnotations(input),
    },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: target.kind, name: target.name },
      minReplicaCount: input.minReplicas,
      maxReplicaCount: input.maxReplicas,
      advanced: { horizontalPodAutoscalerConfig: { behavior: hpaBehavior(input.behavior ?? DEFAULT_HPA_BEHAVIOR) } },
      triggers: [
        {
          type: 'prometheus',
          metricType: 'AverageValue',
          metadata: {
            serverAddress: input.serverAddress,
            query,
            threshold: decimalText(input.targetPerReplica),
          },
        },
      ],
    },
  };
  const behaviorPath = 'spec.advanced.horizontalPodAutoscalerConfig.behavior';
  throwIfIssues(subject, [
    ...zodIssues(kedaScaledObjectSchema, scaledObject),
    ...behaviorIssues(scaledObject.spec.advanced?.horizontalPodAutoscalerConfig.behavior, behaviorPath),
  ]);
  return scaledObject;
}

/** The workload's total request rate: its pods picked by name, as their controller names them. */
function requestRateQuery(target: WorkloadRef, counter: CheckedCounter): string {
  const selector = [
    `${counter.namespaceLabel}=${JSON.stringify(target.namespace)}`,
    `${counter.podLabel}=~${JSON.stringify(podNamePattern(target.kind, target.name))}`,
    ...extraMatchers(counter),
  ].join(',');
  return `sum(rate(${counter.series}{${selector}}[${counter.rateWindow}]))`;
}

type CheckedCounter = Required<Omit<RequestCounter, 'matchers'>> & Pick<RequestCounter, 'matchers'>;

/** The counter with defaults filled in; throws with every problem, including `earlier` ones, when invalid. */
function checkedCounter(counter: RequestCounter, subject: string, earlier: ManifestIssue[]): CheckedCounter {
  const checked: CheckedCounter = {
    series: counter.series,
    matchers: counter.matchers,
    namespaceLabel: counter.namespaceLabel ?? 'namespace',
    podLabel: counter.podLabel ?? 'pod',
    rateWindow: counter.rateWindow ?? DEFAULT_RATE_WINDOW,
  };
  const issues = [...earlier];
  if (!METRIC_NAME.test(checked.series)) {
    issues.push({ field: 'counter.series', value: checked.series, message: 'must be a Prometheus metric name' });
  }
  for (const field of ['namespaceLabel', 'podLabel'] as const) {
    if (!LABEL_NAME.test(checked[field])) {
      issues.push({ field: `counter.${field}`, value: checked[field], message: 'must be a Prometheus label name' });
    }
  }
  for (const name of Object.keys(checked.matchers ?? {})) {
    if (!LABEL_NAME.test(name)) {
      issues.push({ field: `counter.matchers.${name}`, value: name, message: 'must be a Prometheus label name' });
    }
  }
  if (!PROMQL_DURATION.test(checked.rateWindow)) {
    issues.push({
      field: 'counter.rateWindow',
      value: checked.rateWindow,
      message: 'must be a PromQL duration such as 2m',
    });
  }
  throwIfIssues(subject, issues);
  return checked;
}

/** Label values quoted as PromQL string literals (JSON's escapes are a subset of PromQL's). */
function extraMatchers(counter: CheckedCounter): string[] {
  return Object.entries(counter.matchers ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`);
}

/** The names the controller of `kind` gives its pods, as an RE2 pattern (PromQL anchors it). */
function podNamePattern(kind: WorkloadKind, name: string): string {
  const prefix = escapeRegExp(name);
  switch (kind) {
    case 'Deployment':
      return `${prefix}-[a-z0-9]+-[a-z0-9]{5}`;
    case 'StatefulSet':
      return `${prefix}-[0-9]+`;
    case 'DaemonSet':
      return `${prefix}-[a-z0-9]{5}`;
  }
}

/** Thousandths are as fine as KEDA keeps a threshold (it stores a milli-quantity). */
function decimalText(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}
